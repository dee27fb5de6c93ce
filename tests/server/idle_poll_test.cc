// Polls with nothing to do only read: their last-seen time waits in a
// SeenFlusher and is written with others'; anything else (a task to lease, a
// held lease, changed facts, another host's identity) takes the write path
// at once, as without one.
#include <string>

#include "absl/status/statusor.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "server/service/seen_flusher.h"
#include "server/store/devices.h"
#include "server/store/time_util.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

class IdlePollTest : public ::testing::Test {
 protected:
  IdlePollTest()
      : seen_(env_.store()),
        handlers_(env_.store(), env_.clock(), env_.authenticator(), env_.hub(),
                  {.seen = &seen_}) {}

  absl::StatusOr<v1::PollTasksResponse> Poll(
      const EnrolledDevice& device, const v1::PollTasksRequest& request = {}) {
    ASSIGN_OR_RETURN(std::string id,
                     handlers_.AuthenticateDevice(device.bearer));
    return handlers_.PollOnce(id, request);
  }
  store::DeviceRow Device(const std::string& id) {
    store::DeviceRow row;
    EXPECT_TRUE(env_.store()
                    .Read([&](store::Connection& db) -> absl::Status {
                      ASSIGN_OR_RETURN(std::optional<store::DeviceRow> found,
                                       store::GetDevice(db, id));
                      if (found) row = std::move(*found);
                      return absl::OkStatus();
                    })
                    .ok());
    return row;
  }
  uint64_t WriteTransactions() { return env_.store().write_stats().batches; }
  int64_t Now() { return store::ToMicros(env_.clock().Now()); }
  std::string SubmitOnboardAll() {
    const v1::Artifact script = env_.Upload(
        v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
        "WindowsDefenderATPOnboardingScript.cmd", OnboardingScript());
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("onboard");
    r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        script.id());
    r.mutable_spec()->mutable_target()->set_all(true);
    auto job = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->job().id() : "";
  }

  TestEnv env_;
  service::SeenFlusher seen_;
  service::RunnerHandlers handlers_;
};

TEST_F(IdlePollTest, AnIdlePollWritesNothingUntilTheFlush) {
  const EnrolledDevice device = env_.Enroll(MakeFacts("IDLE-2019-01", "2019"));
  const int64_t enrolled_seen = Device(device.id).last_seen_at;
  env_.clock().Advance(absl::Minutes(1));
  const uint64_t writes = WriteTransactions();

  absl::StatusOr<v1::PollTasksResponse> poll = Poll(device);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(poll->tasks_size(), 0);
  EXPECT_EQ(WriteTransactions(), writes);
  EXPECT_EQ(Device(device.id).last_seen_at, enrolled_seen);
  EXPECT_EQ(seen_.pending(), 1u);

  ASSERT_TRUE(seen_.Flush().ok());
  EXPECT_EQ(Device(device.id).last_seen_at, Now());
  EXPECT_EQ(seen_.pending(), 0u);
}

TEST_F(IdlePollTest, TheLatestTimeWinsAndAFlushNeverMovesItBack) {
  const EnrolledDevice device = env_.Enroll(MakeFacts("IDLE-2019-02", "2019"));
  env_.clock().Advance(absl::Minutes(1));
  ASSERT_TRUE(Poll(device).ok());
  env_.clock().Advance(absl::Minutes(1));
  ASSERT_TRUE(Poll(device).ok());
  EXPECT_EQ(seen_.pending(), 1u);
  ASSERT_TRUE(seen_.Flush().ok());
  const int64_t latest = Now();
  EXPECT_EQ(Device(device.id).last_seen_at, latest);

  seen_.Record(device.id, latest - 1'000'000);  // a late, older record
  ASSERT_TRUE(seen_.Flush().ok());
  EXPECT_EQ(Device(device.id).last_seen_at, latest);
}

TEST_F(IdlePollTest, AQueuedTaskIsLeasedAndSeenAtOnce) {
  const EnrolledDevice device = env_.Enroll(MakeFacts("IDLE-2019-03", "2019"));
  const std::string job_id = SubmitOnboardAll();
  env_.clock().Advance(absl::Minutes(1));

  absl::StatusOr<v1::PollTasksResponse> poll = Poll(device);
  ASSERT_TRUE(poll.ok()) << poll.status();
  ASSERT_EQ(poll->tasks_size(), 1);
  EXPECT_EQ(poll->tasks(0).job_id(), job_id);
  EXPECT_EQ(Device(device.id).last_seen_at, Now());
  EXPECT_EQ(seen_.pending(), 0u);

  // The lease it holds is handed back by the next poll (the write path).
  env_.clock().Advance(absl::Seconds(5));
  absl::StatusOr<v1::PollTasksResponse> again = Poll(device);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->tasks_size(), 1);
  EXPECT_EQ(again->tasks(0).lease_id(), poll->tasks(0).lease_id());
  EXPECT_EQ(seen_.pending(), 0u);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(IdlePollTest, ChangedFactsAreWrittenAtOnceAndTheSameOnesAreIdle) {
  const v1::DeviceFacts enrolled = MakeFacts("IDLE-2019-04", "2019");
  const EnrolledDevice device = env_.Enroll(enrolled);
  env_.clock().Advance(absl::Minutes(1));

  v1::PollTasksRequest renamed;
  *renamed.mutable_facts() = enrolled;
  renamed.mutable_facts()->set_hostname("IDLE-2019-04-RENAMED");
  ASSERT_TRUE(Poll(device, renamed).ok());
  EXPECT_EQ(Device(device.id).facts.hostname(), "IDLE-2019-04-RENAMED");
  EXPECT_EQ(Device(device.id).last_seen_at, Now());
  EXPECT_EQ(seen_.pending(), 0u);

  env_.clock().Advance(absl::Minutes(1));
  const uint64_t writes = WriteTransactions();
  ASSERT_TRUE(Poll(device, renamed).ok());
  EXPECT_EQ(WriteTransactions(), writes);
  EXPECT_EQ(seen_.pending(), 1u);
}

TEST_F(IdlePollTest, AnotherHostsIdentityIsRefusedAsWithoutFlusher) {
  const v1::DeviceFacts enrolled = MakeFacts("IDLE-2019-05", "2019");
  const EnrolledDevice device = env_.Enroll(enrolled);
  v1::PollTasksRequest copied;
  *copied.mutable_facts() = enrolled;
  copied.mutable_facts()->set_host_identity("another-machine");

  absl::StatusOr<v1::PollTasksResponse> poll = Poll(device, copied);
  EXPECT_EQ(poll.status().code(), absl::StatusCode::kPermissionDenied)
      << poll.status();
  EXPECT_EQ(seen_.pending(), 0u);
}

TEST_F(IdlePollTest, AFlushSkipsDevicesThatNoLongerExist) {
  seen_.Record("no-such-device", Now());
  EXPECT_TRUE(seen_.Flush().ok());
  EXPECT_EQ(env_.Count("devices"), 0);
}

}  // namespace
}  // namespace mdefleet::testing

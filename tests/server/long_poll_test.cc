// The long-poll: waits without work, wakes on work for that device, ends at
// the deadline of the injected clock.
#include "server/service/long_poll.h"

#include <future>

#include "gtest/gtest.h"
#include "tests/server/test_env.h"
#include "tests/testing/eventually.h"

namespace mdefleet::testing {
namespace {

using Result = absl::StatusOr<v1::PollTasksResponse>;

class LongPollTest : public ::testing::Test {
 protected:
  explicit LongPollTest(service::RunnerOptions options = {}) : env_(options) {
    env_.hub().set_waker(&poller_);
  }
  ~LongPollTest() override {
    poller_.Stop();
    env_.hub().set_waker(nullptr);
  }

  std::future<Result> StartPoll(const EnrolledDevice& d) {
    auto promise = std::make_shared<std::promise<Result>>();
    std::future<Result> future = promise->get_future();
    poller_.Poll(d.bearer, v1::PollTasksRequest(),
                 [promise](Result r) { promise->set_value(std::move(r)); });
    return future;
  }
  void WaitUntilWaiting(size_t n) {
    ASSERT_TRUE(Eventually([&] { return poller_.waiting() >= n; }))
        << poller_.waiting() << " of " << n << " polls waiting";
    ASSERT_EQ(poller_.waiting(), n);
  }
  // `waiting` polls and waits (no slot) until `holder` runs `task` to its
  // end, which wakes it with a task.
  void ExpectWaitsUntilTheTaskEnds(const EnrolledDevice& waiting,
                                   const EnrolledDevice& holder,
                                   const v1::LeasedTask& task) {
    std::future<Result> f = StartPoll(waiting);
    WaitUntilWaiting(1);
    EXPECT_EQ(f.wait_for(std::chrono::milliseconds(200)),
              std::future_status::timeout);
    RunTaskToEnd(env_, holder, task);
    ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    Result r = f.get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->tasks_size(), 1);
  }
  std::string Submit(uint32_t max_in_flight) {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("onboard");
    r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        script_.id());
    r.mutable_spec()->mutable_target()->set_all(true);
    r.mutable_spec()->mutable_policy()->set_max_in_flight(max_in_flight);
    auto job = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->job().id() : "";
  }

  TestEnv env_;
  service::LongPoller poller_{env_.runner(), env_.clock(), 2};
  v1::Artifact script_ =
      env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                  "WindowsDefenderATPOnboardingScript.cmd", OnboardingScript());
};

TEST_F(LongPollTest, WaitsAndEndsEmptyAtTheDeadline) {
  EnrolledDevice d = env_.Enroll(MakeFacts("A-2019", "2019"));
  std::future<Result> f = StartPoll(d);
  WaitUntilWaiting(1);
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(200)),
            std::future_status::timeout);
  env_.clock().Advance(absl::Seconds(31));
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  Result r = f.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tasks_size(), 0);
  EXPECT_EQ(poller_.waiting(), 0u);
}

TEST_F(LongPollTest, ASubmittedJobWakesTheWaitingDevice) {
  EnrolledDevice d = env_.Enroll(MakeFacts("A-2019", "2019"));
  std::future<Result> f = StartPoll(d);
  WaitUntilWaiting(1);
  const std::string job_id = Submit(0);
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  Result r = f.get();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->tasks_size(), 1);
  EXPECT_EQ(r->tasks(0).job_id(), job_id);
}

TEST_F(LongPollTest, AFreedSlotWakesAnotherWaitingDevice) {
  EnrolledDevice a = env_.Enroll(MakeFacts("A-2019", "2019"));
  EnrolledDevice b = env_.Enroll(MakeFacts("B-2019", "2019"));
  Submit(1);
  v1::PollTasksResponse pa = env_.Poll(a);
  ASSERT_EQ(pa.tasks_size(), 1);
  ExpectWaitsUntilTheTaskEnds(b, a, pa.tasks(0));
}

TEST_F(LongPollTest, AWrongTokenIsRefusedAtOnce) {
  EnrolledDevice bad{"", "", "Bearer mdf_dev_wrong"};
  std::future<Result> f = StartPoll(bad);
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(f.get().status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(LongPollTest, CancelAndStopCompleteWaitingPolls) {
  EnrolledDevice a = env_.Enroll(MakeFacts("A-2019", "2019"));
  EnrolledDevice b = env_.Enroll(MakeFacts("B-2019", "2019"));
  auto promise = std::make_shared<std::promise<Result>>();
  auto call = poller_.Poll(a.bearer, v1::PollTasksRequest(),
                           [promise](Result r) { promise->set_value(r); });
  std::future<Result> fb = StartPoll(b);
  WaitUntilWaiting(2);
  poller_.Cancel(call);
  EXPECT_EQ(promise->get_future().get().status().code(),
            absl::StatusCode::kCancelled);
  poller_.Stop();
  ASSERT_EQ(fb.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(fb.get().ok());
}

// serve --max-tasks-in-flight 1: a job without --max-in-flight starts one
// device; the next waits, parked, and is woken when that task ends.
class FleetCapLongPollTest : public LongPollTest {
 protected:
  FleetCapLongPollTest() : LongPollTest({.max_tasks_in_flight = 1}) {}
};

TEST_F(FleetCapLongPollTest, TheFleetCapHoldsBackAJobWithoutMaxInFlight) {
  EnrolledDevice a = env_.Enroll(MakeFacts("A-2019", "2019"));
  EnrolledDevice b = env_.Enroll(MakeFacts("B-2019", "2019"));
  Submit(0);
  v1::PollTasksResponse pa = env_.Poll(a);
  ASSERT_EQ(pa.tasks_size(), 1);
  EXPECT_EQ(env_.Poll(b).tasks_size(), 0);  // the fleet is at its cap
  // A held lease is still handed back at the cap.
  v1::PollTasksResponse again = env_.Poll(a);
  ASSERT_EQ(again.tasks_size(), 1);
  EXPECT_EQ(again.tasks(0).lease_id(), pa.tasks(0).lease_id());

  ExpectWaitsUntilTheTaskEnds(b, a, pa.tasks(0));
}

TEST_F(LongPollTest, AWakeCapWakesNoMoreThanItsNumber) {
  poller_.set_wake_cap(1);
  EnrolledDevice a = env_.Enroll(MakeFacts("A-2019", "2019"));
  EnrolledDevice b = env_.Enroll(MakeFacts("B-2019", "2019"));
  std::future<Result> fa = StartPoll(a);
  std::future<Result> fb = StartPoll(b);
  WaitUntilWaiting(2);
  Submit(0);  // wakes every waiting device without a cap
  EXPECT_TRUE(Eventually([&] { return poller_.waiting() <= 1; }));
  EXPECT_EQ(poller_.waiting(), 1u);
  // The one not woken still gets its task at its own next poll.
  env_.clock().Advance(absl::Seconds(31));
  for (std::future<Result>* f : {&fa, &fb}) {
    ASSERT_EQ(f->wait_for(std::chrono::seconds(5)), std::future_status::ready);
    ASSERT_TRUE(f->get().ok());
  }
}

}  // namespace
}  // namespace mdefleet::testing

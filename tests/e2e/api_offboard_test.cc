// api_offboard with the real processes: mdefleet-server (with Defender API
// credentials) offboards onboarded simulated servers through the fake
// Defender API, which answers some calls 429 (with a Retry-After the server
// must wait out on the real clock) and 5xx; the fake's own log proves no
// 60-second window held more than 100 calls. The 100/min and 1500/h limits
// themselves are driven with a burst of 250 on an injected clock in
// tests/server/defender/offboard_worker_test.cc (the same ApiCallBudget and
// limiter), where three simulated minutes take a second, not three real ones.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/server/defender/fake_defender_api.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int kDevices = 30;
constexpr int kRetryAfterSeconds = 3;

std::vector<std::string> DefenderFlags(const FakeDefenderOptions& o,
                                       const std::string& url,
                                       const std::string& secret_file) {
  return {"--defender-api-url",
          url,
          "--defender-login-url",
          url,
          "--defender-tenant-id",
          o.tenant_id,
          "--defender-client-id",
          o.client_id,
          "--defender-client-secret-file",
          secret_file,
          "--defender-poll-interval",
          "1s"};
}

TEST(ApiOffboardE2eTest, OffboardsThroughErrorsAndWaitsOutRetryAfter) {
  FakeDefenderOptions options;
  options.complete_after = absl::Seconds(2);
  options.retry_after_seconds = kRetryAfterSeconds;
  options.scheduled = {{3, 429}, {10, 503}, {11, 500}, {20, 502}};
  FakeDefenderApi fake(options, *Clock::Real());
  auto url = fake.Start();
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string secret_file =
      absl::StrCat(::testing::TempDir(), "/defender-secret-", getpid());
  std::ofstream(secret_file) << options.client_secret << "\n";

  auto started =
      E2eEnvironment::Start(DefenderFlags(options, *url, secret_file));
  ASSERT_TRUE(started.ok()) << started.status();
  E2eEnvironment& env = **started;
  ASSERT_TRUE(env.StartFleet(kDevices, 0, {"--fleet-onboarded"}).ok());
  ASSERT_TRUE(env.WaitForDevices(kDevices, absl::Seconds(60)).ok());

  // Refused without a comment, before anything is stored.
  ProcessOutput no_comment =
      env.Ctl({"jobs", "submit", "api_offboard", "--target", "all"});
  EXPECT_NE(no_comment.exit_code, 0);
  EXPECT_THAT(no_comment.err, HasSubstr("parameters.comment"));

  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "api_offboard", "--target", "all",
                           "--comment", "decommissioned with the old DC"},
                          &submitted)
                  .ok());
  const std::string id = submitted.job().id();

  const v1::Job job = WaitForJob(
      env, id,
      [](const v1::Job& j) { return j.state() >= v1::JOB_STATE_SUCCEEDED; },
      absl::Minutes(3));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  EXPECT_EQ(job.counts().succeeded(), static_cast<uint32_t>(kDevices));

  // The 429 (the 3rd API call) held every call for its Retry-After, on the
  // real clock.
  const std::vector<FakeDefenderApi::Call> calls = fake.calls();
  ASSERT_GT(calls.size(), 3u);
  EXPECT_EQ(calls[2].status, 429);
  EXPECT_GE(calls[3].at - calls[2].at, absl::Seconds(kRetryAfterSeconds));

  // The fake's log: every call checked, none over the limit.
  const int max_minute = fake.MaxCallsInWindow(absl::Seconds(60));
  EXPECT_LE(max_minute, 100);
  EXPECT_EQ(fake.violations(), 0);
  EXPECT_THAT(fake.errors(), IsEmpty());
  EXPECT_EQ(fake.actions().size(), static_cast<size_t>(kDevices));
  int posts = 0;
  for (const auto& c : fake.calls()) posts += c.method == "POST";
  std::printf(
      "api_offboard e2e: %d devices, %zu API calls (%d POST), max "
      "%d calls in any 60 s, %d token request(s)\n",
      kDevices, fake.calls().size(), posts, max_minute, fake.token_requests());

  // Secrets stay out of the log and the job's output.
  const std::string log = env.server_log();
  EXPECT_THAT(log, HasSubstr("api_offboard"));
  EXPECT_THAT(log, Not(HasSubstr(options.client_secret)));
  for (const std::string& token : fake.issued_tokens()) {
    EXPECT_THAT(log, Not(HasSubstr(token)));
  }
  ProcessOutput tasks = env.Ctl({"jobs", "tasks", id, "-o", "json"});
  EXPECT_THAT(tasks.out, Not(HasSubstr(options.client_secret)));
  EXPECT_THAT(tasks.out, HasSubstr("wait_machine_action"));
}

// Two replicas on the PostgreSQL store (pg.ApiOffboardReplicasE2eTest, run
// only there): the one holding the cluster's lock makes the Defender calls;
// the test kills each replica in turn while the job runs, and the fake's
// log still shows every device offboarded once and no 60-second window over
// the limit: the replica taking over starts from the calls the store
// recorded, not from an empty budget.
TEST(ApiOffboardReplicasE2eTest, TheBudgetHoldsAcrossReplicaKills) {
  FakeDefenderOptions options;
  options.complete_after = absl::Seconds(2);
  FakeDefenderApi fake(options, *Clock::Real());
  auto url = fake.Start();
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string secret_file = absl::StrCat(
      ::testing::TempDir(), "/defender-secret-replicas-", getpid());
  std::ofstream(secret_file) << options.client_secret << "\n";

  auto started =
      E2eEnvironment::Start(DefenderFlags(options, *url, secret_file));
  ASSERT_TRUE(started.ok()) << started.status();
  E2eEnvironment& env = **started;
  const absl::Status added = env.AddServer();
  ASSERT_TRUE(added.ok()) << added;
  // Enough devices for more than 100 calls (a POST and a GET each at
  // least): the limit holds the job for over a minute while the kills go on.
  constexpr int kReplicaDevices = 120;
  constexpr int kKills = 6;
  ASSERT_TRUE(env.StartFleet(kReplicaDevices, 0, {"--fleet-onboarded"}).ok());
  ASSERT_TRUE(env.WaitForDevices(kReplicaDevices, absl::Seconds(60)).ok());
  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "api_offboard", "--target", "all",
                           "--comment", "replicas"},
                          &submitted)
                  .ok());
  const std::string id = submitted.job().id();
  // Kill each replica three times while the calls go on (the first is what
  // mdefleetctl talks to: restarted before it is asked again).
  for (int kill = 0; kill < kKills; ++kill) {
    absl::SleepFor(absl::Seconds(10));
    const size_t victim = static_cast<size_t>(kill % 2);
    env.KillServer(victim);
    absl::SleepFor(absl::Milliseconds(500));
    ASSERT_TRUE(env.RestartServer(victim).ok());
  }
  const v1::Job job = WaitForJob(
      env, id,
      [](const v1::Job& j) { return j.state() >= v1::JOB_STATE_SUCCEEDED; },
      absl::Minutes(5));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  EXPECT_EQ(job.counts().succeeded(), static_cast<uint32_t>(kReplicaDevices));
  const int max_minute = fake.MaxCallsInWindow(absl::Seconds(60));
  EXPECT_LE(max_minute, 100);
  EXPECT_GT(fake.calls().size(), 100u) << "the limit was never reached";
  EXPECT_EQ(fake.violations(), 0);
  EXPECT_THAT(fake.errors(), IsEmpty());
  // One machine action per device: a replica that died mid-request left a
  // record the next one adopted.
  EXPECT_EQ(fake.actions().size(), static_cast<size_t>(kReplicaDevices));
  std::printf(
      "api_offboard replicas: %d devices, %zu API calls, max %d in any 60 s, "
      "%d replica kills\n",
      kReplicaDevices, fake.calls().size(), max_minute, kKills);
}

TEST(ApiOffboardE2eTest, RefusedWhenTheServerHasNoCredentials) {
  auto started = E2eEnvironment::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  E2eEnvironment& env = **started;
  ASSERT_TRUE(env.StartRunner("ws2019+onboarded").ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok());
  ProcessOutput out = env.Ctl({"jobs", "submit", "api_offboard", "--target",
                               "all", "--comment", "retired"});
  EXPECT_NE(out.exit_code, 0);
  EXPECT_THAT(out.err, HasSubstr("--defender-tenant-id"));
  EXPECT_THAT(out.err, HasSubstr("Machine.Offboard"));
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  ASSERT_EQ(devices.devices_size(), 1);
  // The onboarded simulated server reports its Defender machine id.
  EXPECT_EQ(devices.devices(0).facts().mde_machine_id().size(), 40u);
}

}  // namespace
}  // namespace mdefleet::testing

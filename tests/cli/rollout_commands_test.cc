// Rollout policy flags of `jobs submit` and the job controls (pause, resume,
// retry-failed, cancel) against the fake AdminService; the policy and
// rollout rows of `jobs get`, and the rollout lines of `jobs watch`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/clock.h"
#include "server/cli/app.h"
#include "server/cli/policy_flags.h"
#include "server/cli/rollout_format.h"
#include "tests/cli/cli_run.h"
#include "tests/cli/fake_admin_service.h"

namespace mdefleet::cli {
namespace {

using ::testing::ElementsAre;
using testing::FakeAdminService;
using testing::FakeServer;
using ::testing::HasSubstr;

using testing::Result;

class RolloutCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("MDEFLEET_SERVER");
    unsetenv("MDEFLEET_TOKEN");
    fake().submit_response.mutable_job()->set_id("job-1");
    fake().final_job.set_id("job-1");
    fake().final_job.mutable_spec()->set_kind("onboard");
    fake().final_job.mutable_counts()->set_total(10);
    fake().final_job.mutable_counts()->set_queued(10);
  }
  Result Run(std::vector<std::string> args) {
    return testing::RunCliAgainst(server_, std::move(args));
  }
  FakeAdminService& fake() { return server_.service(); }
  size_t Calls() {
    std::lock_guard<std::mutex> lock(fake().mu);
    return fake().methods.size();
  }

  FakeServer server_;
};

TEST_F(RolloutCommandsTest, SubmitSendsThePolicyFlags) {
  Result r = Run({"jobs",
                  "submit",
                  "onboard",
                  "--target",
                  "all",
                  "--canary",
                  "3",
                  "--canary-approval",
                  "--wave-size",
                  "10%",
                  "--wave-interval",
                  "30m",
                  "--max-failures",
                  "5%",
                  "--max-in-flight",
                  "50",
                  "--task-timeout",
                  "45m",
                  "--deadline",
                  "2d",
                  "--retries",
                  "2",
                  "--retry-backoff",
                  "2m"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::lock_guard<std::mutex> lock(fake().mu);
  ASSERT_EQ(fake().submit_requests.size(), 1u);
  const v1::RolloutPolicy& p = fake().submit_requests[0].spec().policy();
  EXPECT_EQ(p.canary(), 3u);
  EXPECT_TRUE(p.canary_approval());
  EXPECT_EQ(p.wave_size().percent(), 10);
  EXPECT_EQ(p.wave_interval().seconds(), 1800);
  EXPECT_EQ(p.max_failures().percent(), 5);
  EXPECT_EQ(p.max_in_flight(), 50u);
  EXPECT_EQ(p.task_timeout().seconds(), 2700);
  EXPECT_EQ(p.deadline_after().seconds(), 2 * 86400);  // the server adds now
  EXPECT_EQ(p.retries(), 2u);
  EXPECT_EQ(p.retry_backoff().seconds(), 120);
}

TEST_F(RolloutCommandsTest, AnAbsoluteDeadlineAndCountsAreSentAsSuch) {
  Result r =
      Run({"jobs", "submit", "onboard", "--target", "all", "--deadline",
           "2024-05-02T18:30:00Z", "--max-failures", "0", "--wave-size", "25"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::lock_guard<std::mutex> lock(fake().mu);
  const v1::RolloutPolicy& p = fake().submit_requests[0].spec().policy();
  EXPECT_EQ(p.deadline().seconds(), 1714674600);
  EXPECT_TRUE(p.has_max_failures());
  EXPECT_EQ(p.max_failures().count(), 0u);
  EXPECT_EQ(p.wave_size().count(), 25u);
}

TEST_F(RolloutCommandsTest, BadPolicyFlagsAreUsageErrorsNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--max-failures", "5x"},
       "--max-failures \"5x\": expected a number of devices (5) or a "
       "percentage (5%)"},
      {{"--max-failures", "120%"},
       "--max-failures \"120%\": a percentage over 100%"},
      {{"--wave-size", "0"}, "--wave-size \"0\": must be at least 1"},
      {{"--wave-size", "-3"}, "--wave-size \"-3\": expected a number"},
      {{"--wave-size", "ten"}, "--wave-size \"ten\": expected a number"},
      {{"--task-timeout", "0"}, "--task-timeout \"0\": must be longer than 0"},
      {{"--task-timeout", "-5m"},
       "--task-timeout \"-5m\": must not be negative"},
      {{"--retry-backoff", "0s", "--retries", "1"},
       "--retry-backoff \"0s\": must be longer than 0"},
      {{"--deadline", "tomorrow"},
       "--deadline \"tomorrow\": expected a duration from now (48h, 7d) or an "
       "RFC 3339 time"},
      {{"--deadline", "0"}, "--deadline \"0\": must be later than now"},
      {{"--wave-interval", "soon", "--wave-size", "1"},
       "--wave-interval \"soon\""},
      {{"--canary-approval"},
       "policy.canary_approval: needs canaries to approve; set --canary N "
       "(--canary-approval)"},
      {{"--wave-interval", "10m"},
       "policy.wave_interval: only applies between waves; set --wave-size or "
       "--canary (--wave-interval)"},
      {{"--retries", "11"}, "policy.retries: must be at most 10"},
  };
  for (const auto& [flags, message] : bad) {
    std::vector<std::string> args = {"jobs", "submit", "onboard", "--target",
                                     "all"};
    args.insert(args.end(), flags.begin(), flags.end());
    Result r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(flags);
    EXPECT_THAT(r.err, HasSubstr("error: " + message))
        << ::testing::PrintToString(flags);
  }
  EXPECT_EQ(Calls(), 0u) << "nothing was sent";
}

TEST_F(RolloutCommandsTest, MaintenanceWindowFlags) {
  Result r = Run({"jobs", "submit", "onboard", "--target", "all",
                  "--maintenance-window", "saturday 01:00-05:00",
                  "--maintenance-window", "Sun 23:00-02:00,daily 03:00-04:00",
                  "--maintenance-window-scope", "task"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  {
    std::lock_guard<std::mutex> lock(fake().mu);
    const v1::RolloutPolicy& p = fake().submit_requests[0].spec().policy();
    ASSERT_EQ(p.maintenance_windows_size(), 3);
    EXPECT_EQ(p.maintenance_windows(0).spec(), "Sat 01:00-05:00");
    EXPECT_EQ(p.maintenance_windows(1).spec(), "Sun 23:00-02:00");
    EXPECT_EQ(p.maintenance_windows(2).spec(), "daily 03:00-04:00");
    EXPECT_EQ(p.maintenance_scope(), v1::MAINTENANCE_SCOPE_WHOLE_TASK);
  }
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--maintenance-window", "Sat 1am-5am"},
       "--maintenance-window \"Sat 1am-5am\": \"1am-5am\" is not a time "
       "range HH:MM-HH:MM"},
      {{"--maintenance-window", "Someday 01:00-02:00"},
       "--maintenance-window \"Someday 01:00-02:00\": unknown day"},
      {{"--maintenance-window", "Sat 01:00-05:00", "--maintenance-window-scope",
        "always"},
       "--maintenance-window-scope \"always\": expected reboot"},
      {{"--maintenance-window-scope", "task"},
       "--maintenance-window-scope \"task\": needs --maintenance-window"},
  };
  for (const auto& [flags, message] : bad) {
    std::vector<std::string> args = {"jobs", "submit", "onboard", "--target",
                                     "all"};
    args.insert(args.end(), flags.begin(), flags.end());
    Result bad_run = Run(args);
    EXPECT_EQ(bad_run.exit_code, 2) << ::testing::PrintToString(flags);
    EXPECT_THAT(bad_run.err, HasSubstr("error: " + message))
        << ::testing::PrintToString(flags);
    if (absl::StartsWith(message, "--maintenance-window \"")) {
      EXPECT_THAT(bad_run.err, HasSubstr("e.g. \"Sat 01:00-05:00\""))
          << ::testing::PrintToString(flags);
    }
  }
  EXPECT_EQ(Calls(), 1u) << "only the good submit was sent";
}

TEST_F(RolloutCommandsTest, JobsGetShowsTheMaintenanceWindows) {
  fake()
      .final_job.mutable_spec()
      ->mutable_policy()
      ->add_maintenance_windows()
      ->set_spec("Sat 01:00-05:00");
  Result r = Run({"jobs", "get", "job-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Sat 01:00-05:00 (device local time); steps "
                               "that restart the machine wait for it"));
}

TEST_F(RolloutCommandsTest, ServerRefusalsOfThePolicyExitOne) {
  fake().submit_status = grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      "policy.canary: 40 canaries but the target matches 12 devices "
      "(--canary)");
  Result r =
      Run({"jobs", "submit", "onboard", "--target", "all", "--canary", "40"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: invalid request: policy.canary: 40 "
                               "canaries but the target matches 12 devices "
                               "(--canary)"));
}

TEST_F(RolloutCommandsTest, ControlsSendTheJobAndReason) {
  Result pause = Run({"jobs", "pause", "job-1", "--reason", "change freeze"});
  ASSERT_EQ(pause.exit_code, 0) << pause.err;
  EXPECT_EQ(pause.out,
            "job job-1 paused by admin: change freeze (queued 10)\n");
  Result resume = Run({"jobs", "resume", "job-1"});
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_THAT(resume.out, HasSubstr("job job-1 running: resumed by admin"));
  Result retry = Run({"jobs", "retry-failed", "job-1"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_THAT(retry.out, HasSubstr("retrying 1 task"));
  Result cancel = Run(
      {"-o", "json", "jobs", "cancel", "job-1", "--reason", "wrong tenant"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("\"state\": \"JOB_STATE_CANCELLED\""));
  EXPECT_THAT(
      cancel.out,
      HasSubstr("\"stateReason\": \"cancelled by admin: wrong tenant\""));
  std::lock_guard<std::mutex> lock(fake().mu);
  ASSERT_EQ(fake().controls.size(), 4u);
  EXPECT_EQ(fake().controls[0].method, "PauseJob");
  EXPECT_EQ(fake().controls[0].job_id, "job-1");
  EXPECT_EQ(fake().controls[0].reason, "change freeze");
  EXPECT_EQ(fake().controls[1].method, "ResumeJob");
  EXPECT_EQ(fake().controls[1].reason, "");
  EXPECT_EQ(fake().controls[2].method, "RetryFailed");
  EXPECT_EQ(fake().controls[3].method, "CancelJob");
  EXPECT_EQ(fake().controls[3].reason, "wrong tenant");
}

TEST_F(RolloutCommandsTest, ARefusedControlExitsOneWithTheServersMessage) {
  fake().control_status = grpc::Status(
      grpc::StatusCode::FAILED_PRECONDITION,
      "job_id: job job-1 already ended (succeeded); there is nothing to "
      "resume");
  Result r = Run({"jobs", "resume", "job-1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: refused: job_id: job job-1 already "
                               "ended (succeeded); there is nothing to "
                               "resume"));
  Result missing = Run({"jobs", "pause"});
  EXPECT_EQ(missing.exit_code, 2);
}

v1::Job RolloutJob() {
  v1::Job job;
  job.set_id("job-1");
  job.mutable_spec()->set_kind("onboard");
  job.mutable_spec()->mutable_target()->set_all(true);
  v1::RolloutPolicy* p = job.mutable_spec()->mutable_policy();
  p->set_canary(2);
  p->set_canary_approval(true);
  p->mutable_wave_size()->set_percent(25);
  p->mutable_wave_interval()->set_seconds(1800);
  p->mutable_max_failures()->set_percent(5);
  p->mutable_task_timeout()->set_seconds(2700);
  p->set_retries(2);
  job.set_state(v1::JOB_STATE_PAUSED);
  job.set_state_reason("awaiting approval: the 2 canaries succeeded");
  job.mutable_counts()->set_total(40);
  job.mutable_counts()->set_succeeded(2);
  job.mutable_counts()->set_queued(38);
  v1::RolloutStatus* r = job.mutable_rollout();
  r->set_wave(0);
  r->set_wave_leased(2);
  r->set_wave_size(2);
  r->set_pause_cause(v1::PAUSE_CAUSE_AWAITING_APPROVAL);
  r->set_max_failures(2);
  r->mutable_deadline()->set_seconds(1714674600);
  r->set_deadline_capped(true);
  r->set_queued_offline(3);
  r->set_retry_waiting(1);
  return job;
}

TEST_F(RolloutCommandsTest, JobsGetShowsThePolicyAndWhereTheRolloutStands) {
  fake().final_job = RolloutJob();
  Result r = Run({"jobs", "get", "job-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("state         paused: awaiting approval: the "
                               "2 canaries"));
  EXPECT_THAT(r.out, HasSubstr("canary        2 devices first, then wait for "
                               "approval (jobs resume)"));
  EXPECT_THAT(r.out, HasSubstr("25% of the devices per wave, 30m apart"));
  EXPECT_THAT(r.out, HasSubstr("5% (2 of 40 tasks); more pause the job"));
  EXPECT_THAT(r.out, HasSubstr("task timeout  45m"));
  EXPECT_THAT(r.out, HasSubstr("2024-05-02 18:30:00Z (the offboarding "
                               "script's expiry)"));
  EXPECT_THAT(r.out, HasSubstr("2 per task for retryable failures (backoff "
                               "1m, doubling)"));
  EXPECT_THAT(r.out, HasSubstr("canaries: 2 of 2 leased"));
  EXPECT_THAT(r.out, HasSubstr("3 queued tasks on offline devices, 1 task "
                               "waiting to retry"));

  Result list = Run({"jobs", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("paused (approval)"));
}

TEST_F(RolloutCommandsTest, WatchPrintsWhenTheJobPausesAndResumes) {
  v1::Job running = fake().final_job;
  running.set_state(v1::JOB_STATE_RUNNING);
  v1::Job paused = running;
  paused.set_state(v1::JOB_STATE_PAUSED);
  paused.set_state_reason(
      "paused: 2 failures exceed --max-failures 5% (1 of 20 tasks)");
  paused.mutable_rollout()->set_pause_cause(v1::PAUSE_CAUSE_MAX_FAILURES);
  v1::Job resumed = running;
  resumed.set_state_reason("resumed by admin: fixed the proxy");
  v1::Job done = running;
  done.set_state(v1::JOB_STATE_SUCCEEDED);
  done.mutable_counts()->set_queued(0);
  done.mutable_counts()->set_succeeded(10);
  fake().watch_updates = {running, paused, resumed, done};
  fake().final_job = done;
  Result r = Run({"jobs", "watch", "job-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\npaused: 2 failures exceed --max-failures 5% "
                               "(1 of 20 tasks)\n"));
  EXPECT_THAT(r.out, HasSubstr("\nresumed by admin: fixed the proxy\n"));
  EXPECT_LT(r.out.find("paused: 2 failures"), r.out.find("resumed by admin"));
}

TEST(RolloutTrackerTest, SaysWhenTheRolloutPausesResumesAndWidens) {
  RolloutTracker tracker;
  v1::Job job = RolloutJob();
  job.set_state(v1::JOB_STATE_RUNNING);
  job.clear_state_reason();
  EXPECT_THAT(tracker.Changes(job), ::testing::IsEmpty());
  job.set_state(v1::JOB_STATE_PAUSED);
  job.set_state_reason("awaiting approval: the 2 canaries succeeded");
  EXPECT_THAT(tracker.Changes(job),
              ElementsAre("awaiting approval: the 2 canaries succeeded"));
  EXPECT_THAT(tracker.Changes(job), ::testing::IsEmpty());
  job.set_state(v1::JOB_STATE_RUNNING);
  job.set_state_reason("resumed by admin");
  job.mutable_rollout()->set_wave(1);
  job.mutable_rollout()->set_wave_size(10);
  EXPECT_THAT(tracker.Changes(job),
              ElementsAre("resumed by admin", "wave 1 (10 devices) started"));
  job.mutable_rollout()->set_wave(2);
  job.mutable_rollout()->mutable_wave_opens_at()->set_seconds(1714566600);
  EXPECT_THAT(tracker.Changes(job),
              ElementsAre("wave 2 (10 devices) opens 2024-05-01 12:30:00Z"));
  job.set_state(v1::JOB_STATE_PAUSED);
  job.set_state_reason("paused by admin: lunch");
  EXPECT_THAT(tracker.Changes(job), ElementsAre("paused by admin: lunch"));
  job.set_state_reason("lunch");
  EXPECT_THAT(tracker.Changes(job), ElementsAre("paused: lunch"));
}

TEST(ParseThresholdTest, CountsAndPercentages) {
  auto five = ParseThreshold("5", "--max-failures", true);
  ASSERT_TRUE(five.ok());
  EXPECT_EQ(five->count(), 5u);
  auto pct = ParseThreshold(" 2.5% ", "--max-failures", true);
  ASSERT_TRUE(pct.ok());
  EXPECT_DOUBLE_EQ(pct->percent(), 2.5);
  EXPECT_TRUE(ParseThreshold("0%", "--max-failures", true).ok());
  EXPECT_FALSE(ParseThreshold("0%", "--wave-size", false).ok());
  EXPECT_FALSE(ParseThreshold("%", "--wave-size", false).ok());
  EXPECT_FALSE(ParseThreshold("", "--wave-size", false).ok());
  EXPECT_FALSE(ParseThreshold("1e3", "--wave-size", false).ok());
  EXPECT_FALSE(ParseThreshold("100.1%", "--wave-size", false).ok());
  EXPECT_TRUE(ParseThreshold("100%", "--wave-size", false).ok());
}

}  // namespace
}  // namespace mdefleet::cli

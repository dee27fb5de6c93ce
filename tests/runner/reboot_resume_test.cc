// Restarts during a task (runner/client/reboot_resume.h): Install.ps1 exit 12
// and reboot steps restart the machine and the task continues after the
// restart; a restart that does not happen, too many restarts, a crash
// between the request and the restart; maintenance windows by an injected
// clock. "Restart" = a new SimulatedHost on the same root (the machine, its
// boot time and its execution counters persist) and a new RunTask call.
#include "runner/client/reboot_resume.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/client/task_runner.h"
#include "runner/facts/fact_collector.h"
#include "runner/journal/journal.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::FakeClock;
using ::mdefleet::testing::TempDir;
using testing::FakeFetcher;
using ::testing::HasSubstr;
using testing::RecordingReporter;
using ::testing::StartsWith;

using testing::kRunInstallPs1;

// Friday 2024-03-01 12:00 UTC.
absl::Time Friday() {
  return absl::FromCivil(absl::CivilMinute(2024, 3, 1, 12, 0),
                         absl::UTCTimeZone());
}

class RebootResumeTest : public ::testing::Test {
 protected:
  // An onboard task for a simulated 2016 server with profile `spec`.
  void Onboard(const std::string& spec) {
    spec_ = spec;
    Boot();
    auto plan = testing::OnboardPlan(*host_, fetcher_);
    ASSERT_TRUE(plan.ok()) << plan.status();
    ASSERT_EQ(plan->steps(kRunInstallPs1).name(), "run_install_ps1");
    Task(*plan);
  }
  // A task of one reboot step (as image_prep ends) for profile `spec`.
  void RebootOnly(const std::string& spec) {
    spec_ = spec;
    Boot();
    v1::Plan plan;
    v1::PlannedStep* step = plan.add_steps();
    step->set_name("reboot");
    step->mutable_action()->mutable_reboot()->set_reason("image prep");
    step->mutable_action()->mutable_reboot()->mutable_delay()->set_seconds(60);
    Task(plan);
  }
  void Task(const v1::Plan& plan) {
    task_.set_task_id("t-reboot");
    task_.set_attempt(1);
    task_.set_lease_id("lease-1");
    task_.set_kind("onboard");
    task_.mutable_lease_duration()->set_seconds(30 * 60);
    *task_.mutable_plan() = plan;
  }
  // (Re)creates the simulated server from its root: a runner restart, or
  // the runner starting after the machine restarted.
  void Boot() {
    host_.reset();
    host_ = testing::MakeSim(spec_, dir_.path(), "SIM-TEST-0001", &clock_);
  }
  TaskOutcome Run(RecordingReporter& reporter,
                  absl::Notification* stop = nullptr) {
    TaskRunnerOptions options;
    options.clock = &clock_;
    options.collect_facts = [this] { return CollectFacts(*host_, {}); };
    options.report_retry_budget = absl::ZeroDuration();
    options.stop = stop;
    options.sleep = [this, stop](absl::Duration d) {
      slept_ += d;
      clock_.Advance(d);
      if (stop_after_sleeps_ > 0 && --stop_after_sleeps_ == 0) {
        stop->Notify();
        return true;
      }
      return false;
    };
    return RunTask(task_, *host_, fetcher_, reporter, options);
  }
  int InstallRuns() const {
    const std::string work = "C:\\ProgramData\\mdefleet\\work\\t-reboot";
    return host_->ExecutionCount(
        testing::kPowerShell,
        {"-NoProfile", "-NonInteractive", "-ExecutionPolicy", "RemoteSigned",
         "-File", work + "\\Install.ps1", "-OnboardingScript",
         work + "\\WindowsDefenderATPOnboardingScript.cmd"});
  }
  std::optional<JournalReboot> Journaled() {
    auto journal = TaskJournal::Open(*host_, "t-reboot", 1);
    EXPECT_TRUE(journal.ok());
    return journal.ok() ? journal->reboot() : std::nullopt;
  }
  // RUNNING reports of step `index` with a message.
  static std::vector<std::string> Progress(const RecordingReporter& r,
                                           uint32_t index) {
    std::vector<std::string> out;
    for (const auto& req : r.requests) {
      if (req.step_index() == index && req.state() == v1::STEP_STATE_RUNNING &&
          !req.message().empty()) {
        out.push_back(req.message());
      }
    }
    return out;
  }

  TempDir dir_;
  FakeClock clock_{Friday()};
  std::string spec_;
  std::unique_ptr<sim::SimulatedHost> host_;
  FakeFetcher fetcher_;
  v1::LeasedTask task_;
  absl::Duration slept_ = absl::ZeroDuration();
  int stop_after_sleeps_ = 0;
};

// msiexec 3010 while installing: md4ws is in, Install.ps1 stopped before
// the onboarding script; the runner restarts and runs it again, which
// onboards.
TEST_F(RebootResumeTest, Msi3010OnInstallRestartsThenRunsTheStepAgain) {
  Onboard("ws2016+msi=3010");
  RecordingReporter first;
  TaskOutcome rebooting = Run(first);
  ASSERT_EQ(rebooting.end, TaskEnd::kRebooting) << rebooting.summary;
  EXPECT_EQ(InstallRuns(), 1);
  ASSERT_EQ(host_->Reboots().size(), 1u);
  EXPECT_THAT(host_->Reboots()[0].reason, HasSubstr("exit 3010"));
  EXPECT_FALSE(Journaled()->completes_step);
  Boot();
  RecordingReporter second;
  TaskOutcome done = Run(second);
  EXPECT_EQ(done.end, TaskEnd::kCompleted) << done.summary;
  EXPECT_EQ(done.task_state, v1::TASK_STATE_SUCCEEDED) << done.summary;
  EXPECT_EQ(InstallRuns(), 2);
}

// msiexec 3010 while uninstalling: the uninstallation succeeded and the
// restart finishes it; the step is reported SUCCEEDED after the restart and
// not run again (a second Install.ps1 -Uninstall would find nothing).
TEST_F(RebootResumeTest, Msi3010OnUninstallSucceedsAfterTheRestart) {
  spec_ = "ws2016+onboarded+msi=3010";
  Boot();
  PlanInputs inputs;
  inputs.kind = "offboard";
  inputs.install_script =
      ArtifactRef{fetcher_.Add(testing::InstallPs1Content()), "Install.ps1"};
  inputs.offboarding_script =
      ArtifactRef{fetcher_.Add(testing::OffboardingScriptContent()),
                  testing::kOffboardingName};
  auto facts = CollectFacts(*host_, {});
  ASSERT_TRUE(facts.ok());
  auto plan = BuildPlan(inputs, *facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  uint32_t run_index = 0;
  while (plan->steps(run_index).name() != "run_install_ps1") ++run_index;
  Task(*plan);
  RecordingReporter first;
  TaskOutcome rebooting = Run(first);
  ASSERT_EQ(rebooting.end, TaskEnd::kRebooting) << rebooting.summary;
  ASSERT_TRUE(Journaled().has_value());
  EXPECT_TRUE(Journaled()->completes_step);
  EXPECT_EQ(*host_->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
  Boot();
  RecordingReporter second;
  TaskOutcome done = Run(second);
  EXPECT_EQ(done.end, TaskEnd::kCompleted) << done.summary;
  EXPECT_EQ(done.task_state, v1::TASK_STATE_SUCCEEDED) << done.summary;
  ASSERT_FALSE(second.Finals().empty());
  EXPECT_EQ(second.Finals()[0].step_index(), run_index);
  EXPECT_EQ(second.Finals()[0].state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_THAT(second.Finals()[0].message(),
              StartsWith("succeeded and restarted to finish (Install.ps1 "
                         "exit 3010"));
  EXPECT_EQ(host_->ExecutionCount("msiexec.exe", {}), 1);
  EXPECT_EQ(host_->Reboots().size(), 1u);
}

TEST_F(RebootResumeTest, PendingRebootRestartsThenRunsTheStepAgain) {
  Onboard("ws2016+reboot");
  const absl::Time boot_before = host_->GetOsInfo()->boot_time;
  RecordingReporter first;
  TaskOutcome rebooting = Run(first);
  ASSERT_EQ(rebooting.end, TaskEnd::kRebooting) << rebooting.summary;
  EXPECT_EQ(rebooting.reboot_delay, kPendingRebootDelay);
  EXPECT_EQ(InstallRuns(), 1);
  ASSERT_EQ(host_->Reboots().size(), 1u);
  EXPECT_EQ(host_->Reboots()[0].reason,
            "Install.ps1 exit 12: pending reboot: reboot, then run again");
  // The step shows why the machine goes down; nothing final was sent.
  EXPECT_THAT(Progress(first, kRunInstallPs1),
              ::testing::ElementsAre(
                  "rebooting (Install.ps1 exit 12: pending reboot: reboot, "
                  "then run again)"));
  EXPECT_EQ(first.requests.back().state(), v1::STEP_STATE_RUNNING);
  const std::optional<JournalReboot> journaled = Journaled();
  ASSERT_TRUE(journaled.has_value());
  EXPECT_EQ(journaled->step_index, kRunInstallPs1);
  EXPECT_EQ(journaled->phase, RebootPhase::kScheduled);
  EXPECT_EQ(journaled->boot_time_before, boot_before);
  EXPECT_EQ(journaled->count, 1);

  Boot();  // the machine restarted; the runner starts again
  EXPECT_GT(host_->GetOsInfo()->boot_time, boot_before);
  RecordingReporter second;
  TaskOutcome done = Run(second);
  EXPECT_EQ(done.end, TaskEnd::kCompleted) << done.summary;
  EXPECT_EQ(done.task_state, v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(InstallRuns(), 2) << "run again after the restart";
  ASSERT_FALSE(second.requests.empty());
  EXPECT_EQ(second.requests[0].step_index(), kRunInstallPs1);
  EXPECT_EQ(second.requests[0].state(), v1::STEP_STATE_RUNNING);
  EXPECT_EQ(second.Finals()[0].message(), "Install.ps1 exit 0");
  EXPECT_EQ(host_->Reboots().size(), 1u);
}

TEST_F(RebootResumeTest, RebootStepSucceedsOnceTheBootTimeChanged) {
  RebootOnly("ws2019");
  const absl::Time boot_before = host_->GetOsInfo()->boot_time;
  RecordingReporter first;
  TaskOutcome rebooting = Run(first);
  ASSERT_EQ(rebooting.end, TaskEnd::kRebooting) << rebooting.summary;
  EXPECT_EQ(rebooting.reboot_delay, absl::Seconds(60));
  EXPECT_THAT(Progress(first, 0),
              ::testing::ElementsAre("rebooting (image prep)"));
  ASSERT_EQ(host_->Reboots().size(), 1u);
  EXPECT_EQ(host_->Reboots()[0].delay, absl::Seconds(60));

  clock_.Advance(absl::Minutes(3));
  Boot();
  RecordingReporter second;
  TaskOutcome done = Run(second);
  EXPECT_EQ(done.end, TaskEnd::kCompleted) << done.summary;
  EXPECT_EQ(done.task_state, v1::TASK_STATE_SUCCEEDED);
  ASSERT_EQ(second.requests.size(), 1u) << "no second RUNNING, no rerun";
  const v1::ReportStepRequest& final = second.requests[0];
  EXPECT_EQ(final.state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_THAT(final.message(), StartsWith("rebooted (image prep): boot time "));
  EXPECT_THAT(final.message(),
              HasSubstr(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", boot_before,
                                         absl::UTCTimeZone())));
  EXPECT_EQ(host_->Reboots().size(), 1u);
}

TEST_F(RebootResumeTest, BootTimeUnchangedFailsTheStep) {
  RebootOnly("ws2019+noreboot");
  RecordingReporter first;
  ASSERT_EQ(Run(first).end, TaskEnd::kRebooting);
  ASSERT_EQ(host_->Reboots().size(), 1u);

  // The runner service restarts before the machine goes down: it keeps
  // waiting for the restart it asked for, without asking again.
  Boot();
  RecordingReporter second;
  TaskOutcome waiting = Run(second);
  EXPECT_EQ(waiting.end, TaskEnd::kRebooting) << waiting.summary;
  EXPECT_THAT(waiting.summary, HasSubstr("still waiting for the restart"));
  EXPECT_TRUE(second.requests.empty());
  EXPECT_EQ(host_->Reboots().size(), 1u);

  // The delay and the grace pass, and the boot time is still the old one.
  clock_.Advance(absl::Seconds(60) + kRebootGrace);
  Boot();
  RecordingReporter third;
  TaskOutcome failed = Run(third);
  EXPECT_EQ(failed.end, TaskEnd::kCompleted) << failed.summary;
  EXPECT_EQ(failed.task_state, v1::TASK_STATE_FAILED);
  ASSERT_EQ(third.requests.size(), 1u);
  EXPECT_EQ(third.requests[0].state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(third.requests[0].message(),
              HasSubstr("the machine did not restart: a restart was "
                        "requested at 2024-03-01T12:00:00Z (image prep) but "
                        "the boot time is still"));
  EXPECT_EQ(host_->Reboots().size(), 1u);
}

TEST_F(RebootResumeTest, AtMostThreeRestartsPerAttempt) {
  Onboard("ws2016+exit=12");  // Install.ps1 always asks for a restart
  for (int restart = 1; restart <= kMaxRebootsPerTask; ++restart) {
    RecordingReporter reporter;
    TaskOutcome out = Run(reporter);
    ASSERT_EQ(out.end, TaskEnd::kRebooting) << restart << ": " << out.summary;
    EXPECT_THAT(out.summary,
                HasSubstr(absl::StrCat("restart ", restart, " of at most 3")));
    clock_.Advance(absl::Minutes(5));
    Boot();
  }
  RecordingReporter last;
  TaskOutcome out = Run(last);
  EXPECT_EQ(out.end, TaskEnd::kCompleted) << out.summary;
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  const v1::ReportStepRequest& final = last.requests.back();
  EXPECT_EQ(final.state(), v1::STEP_STATE_FAILED);
  EXPECT_EQ(final.exit_code(), 12);
  EXPECT_THAT(final.message(),
              HasSubstr("rebooted 3 times; still pending reboot"));
  EXPECT_EQ(host_->Reboots().size(), 3u);
  EXPECT_EQ(InstallRuns(), 4);
}

TEST_F(RebootResumeTest, CrashBetweenTheRequestAndTheRestart) {
  Onboard("ws2016+reboot");
  RecordingReporter first;
  // The runner dies after journaling the request, before the host got it
  // (here: the "rebooting" report fails and the runner gives up).
  first.fail = [](const v1::ReportStepRequest& r) {
    if (absl::StartsWith(r.message(), "rebooting")) {
      return absl::UnavailableError("server went away");
    }
    return absl::OkStatus();
  };
  EXPECT_EQ(Run(first).end, TaskEnd::kInterrupted);
  EXPECT_EQ(InstallRuns(), 1);
  EXPECT_TRUE(host_->Reboots().empty());
  ASSERT_TRUE(Journaled().has_value());
  EXPECT_EQ(Journaled()->phase, RebootPhase::kRequested);

  Boot();  // process restart, same machine (not restarted)
  RecordingReporter second;
  TaskOutcome rebooting = Run(second);
  EXPECT_EQ(rebooting.end, TaskEnd::kRebooting) << rebooting.summary;
  EXPECT_EQ(InstallRuns(), 1) << "not re-run before the restart";
  EXPECT_EQ(host_->Reboots().size(), 1u);
  EXPECT_EQ(Journaled()->count, 1) << "one restart, asked twice";

  Boot();  // after the restart
  RecordingReporter third;
  TaskOutcome done = Run(third);
  EXPECT_EQ(done.task_state, v1::TASK_STATE_SUCCEEDED) << done.summary;
  EXPECT_EQ(InstallRuns(), 2);
}

TEST_F(RebootResumeTest, CrashWhileRunningAfterTheRestartIsNotRerun) {
  Onboard("ws2016+reboot");
  RecordingReporter first;
  ASSERT_EQ(Run(first).end, TaskEnd::kRebooting);
  Boot();
  // After the restart Install.ps1 runs again, and the runner dies before it
  // reports the result: the usual rule holds (not safe to repeat).
  RecordingReporter second;
  second.fail = [](const v1::ReportStepRequest& r) {
    if (r.step_index() == kRunInstallPs1 &&
        r.state() == v1::STEP_STATE_RUNNING) {
      return absl::UnavailableError("server went away");
    }
    return absl::OkStatus();
  };
  EXPECT_EQ(Run(second).end, TaskEnd::kInterrupted);
  Boot();
  RecordingReporter third;
  TaskOutcome out = Run(third);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  EXPECT_EQ(third.requests[0].message(), kNotRerunMessage);
}

TEST_F(RebootResumeTest, RebootWaitsForTheMaintenanceWindow) {
  RebootOnly("ws2019+tz=9");
  task_.add_maintenance_windows()->set_spec("Sat 01:00-05:00");
  // Friday 12:00 UTC is Friday 21:00 in UTC+9: the window opens in 4 hours
  // (Friday 16:00 UTC).
  RecordingReporter reporter;
  TaskOutcome out = Run(reporter);
  ASSERT_EQ(out.end, TaskEnd::kRebooting) << out.summary;
  const absl::Time opens = Friday() + absl::Hours(4);
  EXPECT_EQ(slept_, absl::Hours(4));
  ASSERT_EQ(host_->Reboots().size(), 1u);
  EXPECT_EQ(host_->Reboots()[0].requested_at, opens);
  const std::vector<std::string> progress = Progress(reporter, 0);
  ASSERT_GE(progress.size(), 3u);
  EXPECT_EQ(progress[0],
            "waiting for the maintenance window Sat 01:00-05:00 (opens in 4h, "
            "device time UTC+09:00) to restart: image prep");
  // Re-reported every 10 minutes (a third of the 30-minute lease), each
  // renewing the lease.
  EXPECT_EQ(progress.size(), 4u * 6 + 1);
  EXPECT_THAT(progress[1], HasSubstr("opens in 3h50m"));
  EXPECT_EQ(progress.back(), "rebooting (image prep)");
}

TEST_F(RebootResumeTest, NoWaitInsideTheWindow) {
  RebootOnly("ws2019+tz=14");  // Friday 12:00 UTC = Saturday 02:00
  task_.add_maintenance_windows()->set_spec("Sat 01:00-05:00");
  RecordingReporter reporter;
  ASSERT_EQ(Run(reporter).end, TaskEnd::kRebooting);
  EXPECT_EQ(slept_, absl::ZeroDuration());
  EXPECT_EQ(host_->Reboots()[0].requested_at, Friday());
}

TEST_F(RebootResumeTest, ExitTwelveWaitsForTheWindowToo) {
  Onboard("ws2016+reboot");
  task_.add_maintenance_windows()->set_spec("daily 13:00-14:00");
  RecordingReporter reporter;
  ASSERT_EQ(Run(reporter).end, TaskEnd::kRebooting);
  EXPECT_EQ(slept_, absl::Hours(1));
  EXPECT_THAT(Progress(reporter, kRunInstallPs1)[0],
              HasSubstr("waiting for the maintenance window daily "
                        "13:00-14:00 (opens in 1h, device time UTC+00:00) to "
                        "restart: Install.ps1 exit 12"));
  EXPECT_EQ(InstallRuns(), 1);
}

TEST_F(RebootResumeTest, StopWhileWaitingResumesTheWait) {
  RebootOnly("ws2019");
  task_.add_maintenance_windows()->set_spec("Sat 01:00-05:00");
  absl::Notification stop;
  stop_after_sleeps_ = 2;
  RecordingReporter first;
  EXPECT_EQ(Run(first, &stop).end, TaskEnd::kInterrupted);
  EXPECT_TRUE(host_->Reboots().empty());
  ASSERT_TRUE(Journaled().has_value());
  EXPECT_EQ(Journaled()->phase, RebootPhase::kWaiting);

  Boot();
  RecordingReporter second;
  TaskOutcome out = Run(second);
  EXPECT_EQ(out.end, TaskEnd::kRebooting) << out.summary;
  ASSERT_EQ(host_->Reboots().size(), 1u);
  // Saturday 01:00 UTC.
  EXPECT_EQ(host_->Reboots()[0].requested_at, Friday() + absl::Hours(13));
}

TEST_F(RebootResumeTest, CancelWhileWaitingDoesNotRestart) {
  RebootOnly("ws2019");
  task_.add_maintenance_windows()->set_spec("Sat 01:00-05:00");
  RecordingReporter reporter;
  reporter.cancel_after_reports = 2;  // RUNNING, then the first "waiting"
  reporter.cancel_reason = "cancelled by admin";
  TaskOutcome out = Run(reporter);
  EXPECT_EQ(out.end, TaskEnd::kCancelled) << out.summary;
  EXPECT_TRUE(host_->Reboots().empty());
  EXPECT_EQ(reporter.requests.back().state(), v1::STEP_STATE_SKIPPED);
}

}  // namespace
}  // namespace mdefleet::runner

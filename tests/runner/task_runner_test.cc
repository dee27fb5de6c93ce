// Restart and reporting semantics of the task runner: the journal makes a
// restarted runner re-send what ran but was not acknowledged (never re-run
// it), re-run only rerun-safe steps that may have been interrupted, and stop
// on a lost lease or a cancel. "Restart" = a new SimulatedHost on the same
// root (the machine, its files and its execution counters persist) and a new
// RunTask call.
#include "runner/client/task_runner.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/facts/fact_collector.h"
#include "runner/journal/journal.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::FakeFetcher;
using ::testing::HasSubstr;
using testing::MakeSim;
using testing::RecordingReporter;

using testing::kRunInstallPs1;

class TaskRunnerRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    Boot();
    auto plan = testing::OnboardPlan(*host_, fetcher_);
    ASSERT_TRUE(plan.ok()) << plan.status();
    ASSERT_EQ(plan->steps(kRunInstallPs1).name(), "run_install_ps1");
    ASSERT_FALSE(plan->steps(kRunInstallPs1).rerun_safe());
    task_.set_task_id("t-restart");
    task_.set_attempt(1);
    task_.set_lease_id("lease-7");
    task_.set_kind("onboard");
    *task_.mutable_plan() = *plan;
  }
  // (Re)creates the simulated server from its root, as after a restart.
  void Boot() {
    host_.reset();
    host_ = MakeSim("ws2016", dir_.path());
  }
  TaskOutcome Run(RecordingReporter& reporter,
                  absl::Notification* stop = nullptr) {
    TaskRunnerOptions options;
    options.collect_facts = [this] { return CollectFacts(*host_, {}); };
    options.report_retry_budget = absl::ZeroDuration();
    options.stop = stop;
    return RunTask(task_, *host_, fetcher_, reporter, options);
  }
  int InstallRuns() const {
    const std::string work = "C:\\ProgramData\\mdefleet\\work\\t-restart";
    return host_->ExecutionCount(
        testing::kPowerShell,
        {"-NoProfile", "-NonInteractive", "-ExecutionPolicy", "RemoteSigned",
         "-File", work + "\\Install.ps1", "-OnboardingScript",
         work + "\\WindowsDefenderATPOnboardingScript.cmd"});
  }
  static std::function<absl::Status(const v1::ReportStepRequest&)> FailOn(
      uint32_t index, v1::StepState state, absl::Status status) {
    return [=](const v1::ReportStepRequest& r) {
      if (r.step_index() == index && r.state() == state) return status;
      return absl::OkStatus();
    };
  }

  TempDir dir_;
  std::unique_ptr<sim::SimulatedHost> host_;
  FakeFetcher fetcher_;
  v1::LeasedTask task_;
};

TEST_F(TaskRunnerRestart, ExecutedButNotAcknowledgedIsResentNotRerun) {
  RecordingReporter first;
  first.fail = FailOn(kRunInstallPs1, v1::STEP_STATE_SUCCEEDED,
                      absl::UnavailableError("server went away"));
  TaskOutcome interrupted = Run(first);
  EXPECT_EQ(interrupted.end, TaskEnd::kInterrupted) << interrupted.summary;
  EXPECT_EQ(InstallRuns(), 1);
  {
    auto journal = TaskJournal::Open(*host_, "t-restart", 1);
    ASSERT_TRUE(journal.ok());
    EXPECT_EQ(journal->Get(kRunInstallPs1)->phase, StepPhase::kExecuted);
  }

  Boot();  // the runner process (and the machine object) restart
  RecordingReporter second;
  TaskOutcome done = Run(second);
  EXPECT_EQ(done.end, TaskEnd::kCompleted) << done.summary;
  EXPECT_EQ(done.task_state, v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(InstallRuns(), 1) << "Install.ps1 must not run twice";
  ASSERT_FALSE(second.requests.empty());
  // The first thing sent is the recorded result of run_install_ps1 (no
  // RUNNING for it), carrying the current lease.
  const v1::ReportStepRequest& resent = second.requests[0];
  EXPECT_EQ(resent.step_index(), kRunInstallPs1);
  EXPECT_EQ(resent.state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(resent.message(), "Install.ps1 exit 0");
  EXPECT_EQ(resent.lease_id(), "lease-7");
  for (const auto& r : second.requests) {
    EXPECT_GE(r.step_index(), kRunInstallPs1);  // steps 0-3 not repeated
  }
  EXPECT_EQ(second.requests.back().task_state(), v1::TASK_STATE_SUCCEEDED);
}

TEST_F(TaskRunnerRestart, StartedUnsafeStepIsReportedFailedNotRerun) {
  // The crash window: the server acknowledged RUNNING and the journal says
  // "started"; the program may or may not have run (the runner died in it).
  RecordingReporter first;
  first.fail = FailOn(kRunInstallPs1, v1::STEP_STATE_RUNNING,
                      absl::UnavailableError("server went away"));
  EXPECT_EQ(Run(first).end, TaskEnd::kInterrupted);
  {
    auto journal = TaskJournal::Open(*host_, "t-restart", 1);
    ASSERT_TRUE(journal.ok());
    v1::ReportStepRequest running;
    running.set_task_id("t-restart");
    running.set_step_index(kRunInstallPs1);
    running.set_state(v1::STEP_STATE_RUNNING);
    ASSERT_TRUE(journal->MarkStarted(kRunInstallPs1, running).ok());
  }

  Boot();
  RecordingReporter second;
  TaskOutcome out = Run(second);
  EXPECT_EQ(out.end, TaskEnd::kCompleted);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  EXPECT_EQ(InstallRuns(), 0);
  ASSERT_EQ(second.requests.size(), 1u);
  EXPECT_EQ(second.requests[0].step_index(), kRunInstallPs1);
  EXPECT_EQ(second.requests[0].state(), v1::STEP_STATE_FAILED);
  EXPECT_EQ(second.requests[0].message(), kNotRerunMessage);
  EXPECT_EQ(second.requests[0].task_state(), v1::TASK_STATE_FAILED);
  // Retryable: a later attempt may run it (never this one).
  EXPECT_TRUE(second.requests[0].interrupted());
  EXPECT_TRUE(second.requests[0].has_facts());
}

TEST_F(TaskRunnerRestart,
       StepWhoseRunningWasNeverAcknowledgedRunsAfterRestart) {
  // RUNNING is acknowledged before the journal marks the step started, so a
  // step whose RUNNING report never got through certainly did not run.
  RecordingReporter first;
  first.fail = FailOn(kRunInstallPs1, v1::STEP_STATE_RUNNING,
                      absl::UnavailableError("server went away"));
  EXPECT_EQ(Run(first).end, TaskEnd::kInterrupted);
  EXPECT_EQ(InstallRuns(), 0);

  Boot();
  RecordingReporter second;
  TaskOutcome out = Run(second);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  EXPECT_EQ(InstallRuns(), 1);
  ASSERT_FALSE(second.requests.empty());
  EXPECT_EQ(second.requests[0].step_index(), kRunInstallPs1);
  EXPECT_EQ(second.requests[0].state(), v1::STEP_STATE_RUNNING);
  EXPECT_FALSE(second.Finals().front().interrupted());
}

TEST_F(TaskRunnerRestart, StartedRerunSafeStepIsRunAgain) {
  RecordingReporter first;
  first.fail = FailOn(1, v1::STEP_STATE_RUNNING,  // fetch_install_ps1
                      absl::UnavailableError("server went away"));
  EXPECT_EQ(Run(first).end, TaskEnd::kInterrupted);
  const int fetches = fetcher_.fetches();
  Boot();
  RecordingReporter second;
  TaskOutcome out = Run(second);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  EXPECT_GT(fetcher_.fetches(), fetches);
  EXPECT_EQ(second.requests[0].step_index(), 1u);
  EXPECT_EQ(second.requests[0].state(), v1::STEP_STATE_RUNNING);
  EXPECT_EQ(InstallRuns(), 1);
}

TEST_F(TaskRunnerRestart, LostLeaseStopsAndCleansUp) {
  RecordingReporter reporter;
  reporter.fail = FailOn(2, v1::STEP_STATE_RUNNING,
                         absl::FailedPreconditionError("lease expired"));
  TaskOutcome out = Run(reporter);
  EXPECT_EQ(out.end, TaskEnd::kLeaseLost);
  EXPECT_THAT(out.summary, HasSubstr("lease expired"));
  EXPECT_EQ(InstallRuns(), 0);
  EXPECT_FALSE(
      *host_->FileExists("C:\\ProgramData\\mdefleet\\work\\t-restart"));
  EXPECT_TRUE(TaskJournal::Open(*host_, "t-restart", 1)->empty());
}

// The onboarding script carries tenant secrets: it is on disk only while its
// task runs.
TEST_F(TaskRunnerRestart, TheOnboardingScriptIsDeletedWhenTheTaskEnds) {
  const std::string script = testing::OnboardingScriptContent();
  const std::string work = "C:\\ProgramData\\mdefleet\\work\\t-restart";
  // Every file under the simulated machine's root holding the script.
  auto copies_on_disk = [&] {
    int copies = 0;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string content((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
      copies += content.find(script) != std::string::npos;
    }
    return copies;
  };
  int copies_while_running = 0;
  RecordingReporter reporter;
  reporter.fail = [&](const v1::ReportStepRequest& r) {
    if (r.step_index() == kRunInstallPs1 &&
        r.state() == v1::STEP_STATE_RUNNING) {
      copies_while_running = copies_on_disk();
    }
    return absl::OkStatus();
  };
  TaskOutcome out = Run(reporter);
  EXPECT_EQ(out.end, TaskEnd::kCompleted) << out.summary;
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(copies_while_running, 1) << "the check would see a copy";
  EXPECT_EQ(copies_on_disk(), 0);
  EXPECT_FALSE(*host_->FileExists(work));
  // Lost leases and cancels remove the work directory too (tests below).
}

TEST_F(TaskRunnerRestart, CancelStopsAfterTheCurrentStep) {
  RecordingReporter reporter;
  reporter.cancel_after_reports = 2;  // RUNNING + final of step 0
  TaskOutcome out = Run(reporter);
  EXPECT_EQ(out.end, TaskEnd::kCancelled);
  EXPECT_EQ(reporter.requests.size(), 2u);
  EXPECT_EQ(InstallRuns(), 0);
}

TEST_F(TaskRunnerRestart, CancelBeforeAStepRunsReportsItNotRun) {
  RecordingReporter reporter;
  // Steps 0-3 report RUNNING and a result (8 reports); the 9th is the
  // RUNNING of run_install_ps1, answered "cancel".
  reporter.cancel_after_reports = 2 * kRunInstallPs1 + 1;
  reporter.cancel_reason = "cancelled by admin: change freeze";
  TaskOutcome out = Run(reporter);
  EXPECT_EQ(out.end, TaskEnd::kCancelled);
  EXPECT_THAT(out.summary, HasSubstr("cancelled by admin: change freeze"));
  EXPECT_EQ(InstallRuns(), 0) << "the cancelled step must not run";
  ASSERT_EQ(reporter.requests.size(), 2 * kRunInstallPs1 + 2);
  const v1::ReportStepRequest& last = reporter.requests.back();
  EXPECT_EQ(last.step_index(), kRunInstallPs1);
  EXPECT_EQ(last.state(), v1::STEP_STATE_SKIPPED);
  EXPECT_EQ(last.message(),
            "not run: the job was cancelled (cancelled by admin: change "
            "freeze)");
  EXPECT_EQ(last.task_state(), v1::TASK_STATE_UNSPECIFIED);
  EXPECT_FALSE(
      *host_->FileExists("C:\\ProgramData\\mdefleet\\work\\t-restart"));
}

TEST_F(TaskRunnerRestart, StopBetweenStepsKeepsTheJournal) {
  absl::Notification stop;
  RecordingReporter reporter;
  reporter.fail = [&stop](const v1::ReportStepRequest& r) {
    if (r.step_index() == 1 && r.state() != v1::STEP_STATE_RUNNING) {
      stop.Notify();
    }
    return absl::OkStatus();
  };
  TaskOutcome out = Run(reporter, &stop);
  EXPECT_EQ(out.end, TaskEnd::kInterrupted);
  EXPECT_EQ(TaskJournal::Open(*host_, "t-restart", 1)->Get(1)->phase,
            StepPhase::kAcknowledged);
  Boot();
  RecordingReporter second;
  EXPECT_EQ(Run(second).task_state, v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(second.requests[0].step_index(), 2u);
  EXPECT_EQ(InstallRuns(), 1);
}

}  // namespace
}  // namespace mdefleet::runner

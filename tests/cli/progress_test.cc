#include "server/cli/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/cli/table.h"

namespace mdefleet::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

v1::Job RunningJob() {
  v1::Job job;
  job.set_id("job-1");
  job.set_state(v1::JOB_STATE_RUNNING);
  v1::TaskCounts* c = job.mutable_counts();
  c->set_total(50);
  c->set_succeeded(20);
  c->set_failed(2);
  c->set_skipped(3);
  c->set_running(5);
  c->set_queued(20);
  return job;
}

TEST(RenderCountsTest, NonZeroStatesInFixedOrder) {
  EXPECT_EQ(RenderCounts(RunningJob().counts()),
            "succeeded 20, failed 2, skipped 3, running 5, queued 20");
  EXPECT_EQ(RenderCounts(v1::TaskCounts()), "no tasks");
  v1::TaskCounts odd;
  odd.set_total(4);
  EXPECT_EQ(RenderCounts(odd), "total 4");
}

TEST(FinishedTasksTest, CountsEveryFinalState) {
  v1::TaskCounts c;
  c.set_succeeded(1);
  c.set_failed(2);
  c.set_skipped(3);
  c.set_cancelled(4);
  c.set_timed_out(5);
  c.set_running(100);
  c.set_queued(100);
  c.set_leased(100);
  EXPECT_EQ(FinishedTasks(c), 15u);
}

TEST(RenderProgressLineTest, BarPercentAndCounts) {
  // 25 of 50 finished: half of a 30-wide bar.
  EXPECT_EQ(RenderProgressLine(RunningJob(), 0),
            "running [###############...............]  50%  25/50  "
            "succeeded 20, failed 2, skipped 3, running 5, queued 20");
}

TEST(RenderProgressLineTest, FinishedJobIsFull) {
  v1::Job job = RunningJob();
  job.set_state(v1::JOB_STATE_SUCCEEDED);
  v1::TaskCounts* c = job.mutable_counts();
  c->set_succeeded(45);
  c->set_failed(0);
  c->set_skipped(5);
  c->set_running(0);
  c->set_queued(0);
  EXPECT_EQ(RenderProgressLine(job, 0),
            "succeeded [##############################] 100%  50/50  "
            "succeeded 45, skipped 5");
}

TEST(RenderProgressLineTest, EmptyPendingJob) {
  v1::Job job;
  job.set_state(v1::JOB_STATE_PENDING);
  EXPECT_EQ(RenderProgressLine(job, 0),
            "pending [..............................]   0%  0/0  no tasks");
}

TEST(RenderProgressLineTest, FitsTheTerminalWidth) {
  const v1::Job job = RunningJob();
  for (size_t columns : {20u, 40u, 60u, 80u, 100u, 200u}) {
    const std::string line = RenderProgressLine(job, columns);
    EXPECT_LE(DisplayWidth(line), columns) << line;
    EXPECT_THAT(line, StartsWith("running [")) << line;
  }
  // Wide terminals get the full 30-character bar and all counts.
  EXPECT_EQ(RenderProgressLine(job, 200), RenderProgressLine(job, 0));
  // Narrow ones shrink the bar first, then cut the counts with "...".
  const std::string narrow = RenderProgressLine(job, 60);
  EXPECT_THAT(narrow, HasSubstr("[#####.....]"));
  EXPECT_THAT(narrow, ::testing::EndsWith("..."));
}

TEST(RenderStepSummaryTest, OneRowPerStep) {
  v1::Job job;
  auto* a = job.add_step_summary();
  a->set_step_name("precheck_not_onboarded");
  a->set_succeeded(48);
  a->set_skipped(2);
  auto* b = job.add_step_summary();
  b->set_step_name("run_install_ps1");
  b->set_succeeded(20);
  b->set_failed(1);
  b->set_running(3);
  b->set_pending(4);
  EXPECT_EQ(RenderStepSummary(job),
            "STEP                    SUCCEEDED  FAILED  SKIPPED  RUNNING  "
            "PENDING\n"
            "precheck_not_onboarded         48       0        2        0  "
            "      0\n"
            "run_install_ps1                20       1        0        3  "
            "      4\n");
  EXPECT_EQ(RenderStepSummary(v1::Job()), "");
}

TEST(FailingStepsTest, RenderedAndTrackedOnce) {
  v1::Job job = RunningJob();
  auto* f = job.add_failing_steps();
  f->set_step_name("run_install_ps1");
  f->set_message("Install.ps1 exit 4: no internet connectivity");
  f->set_count(1);
  EXPECT_EQ(RenderFailingSteps(job),
            "  run_install_ps1 (1 device): Install.ps1 exit 4: no internet "
            "connectivity\n");

  FailureTracker tracker;
  EXPECT_THAT(tracker.NewFailures(job),
              ElementsAre("failed: run_install_ps1 (1 device): Install.ps1 "
                          "exit 4: no internet connectivity"));
  // Same failure with a higher count: not repeated.
  job.mutable_failing_steps(0)->set_count(3);
  EXPECT_THAT(tracker.NewFailures(job), IsEmpty());
  // A new failing step appears.
  auto* g = job.add_failing_steps();
  g->set_step_name("precheck_passive_mode");
  g->set_message("third-party antivirus present (CSFalconService)");
  g->set_count(2);
  EXPECT_THAT(tracker.NewFailures(job),
              ElementsAre("failed: precheck_passive_mode (2 devices): "
                          "third-party antivirus present (CSFalconService)"));
  EXPECT_THAT(RenderFailingSteps(job), HasSubstr("(3 devices)"));
  EXPECT_THAT(RenderFailingSteps(v1::Job()), Not(HasSubstr("device")));
}

}  // namespace
}  // namespace mdefleet::cli

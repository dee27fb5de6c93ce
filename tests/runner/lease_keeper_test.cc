// Heartbeats while a step runs: a slow Install.ps1 keeps its lease alive; a
// heartbeat refused with "lease lost" makes the task stop after the step.
#include "runner/client/lease_keeper.h"

#include "common/plan/plan.h"
#include "gtest/gtest.h"
#include "runner/facts/fact_collector.h"
#include "tests/runner/test_support.h"
#include "tests/testing/eventually.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::Eventually;
using ::mdefleet::testing::TempDir;
using testing::FakeFetcher;
using testing::MakeSim;
using testing::RecordingReporter;

// Returns after a running keeper with `interval` sent three heartbeats:
// the chances a stopped keeper with the same interval had to send one it
// should not. A fixed sleep could end before a loaded machine ran the
// stopped keeper's thread at all, and pass whatever that thread did.
void WaitThreeIntervals(absl::Duration interval) {
  RecordingReporter reporter;
  v1::LeasedTask task;
  task.set_task_id("t-metronome");
  LeaseKeeper metronome(reporter, task, 0, interval);
  ASSERT_TRUE(Eventually([&] { return metronome.acknowledged() >= 3; }));
}

TEST(HeartbeatInterval, IsAQuarterOfTheLeaseWithAFloor) {
  EXPECT_EQ(HeartbeatInterval(absl::Minutes(10)), absl::Seconds(150));
  EXPECT_EQ(HeartbeatInterval(absl::Milliseconds(200)),
            absl::Milliseconds(100));
  EXPECT_EQ(HeartbeatInterval(absl::ZeroDuration()), absl::Seconds(150));
}

TEST(LeaseKeeper, SendsHeartbeatsForTheStepUntilDestroyed) {
  RecordingReporter reporter;
  v1::LeasedTask task;
  task.set_task_id("t-1");
  task.set_attempt(2);
  task.set_lease_id("lease-9");
  int acknowledged = 0;
  {
    LeaseKeeper keeper(reporter, task, 3, absl::Milliseconds(20));
    EXPECT_TRUE(Eventually([&] { return keeper.acknowledged() >= 3; }));
    acknowledged = keeper.acknowledged();
    EXPECT_EQ(keeper.lease_lost(), "");
  }
  EXPECT_GE(acknowledged, 3);
  const int after = reporter.HeartbeatCount();
  WaitThreeIntervals(absl::Milliseconds(20));
  EXPECT_EQ(reporter.HeartbeatCount(), after) << "stopped with the step";
  absl::MutexLock lock(&reporter.heartbeat_mu);
  const v1::HeartbeatRequest& first = reporter.heartbeats.front();
  EXPECT_EQ(first.task_id(), "t-1");
  EXPECT_EQ(first.attempt(), 2u);
  EXPECT_EQ(first.lease_id(), "lease-9");
  EXPECT_EQ(first.step_index(), 3u);
}

TEST(LeaseKeeper, StopsAtALostLeaseAndKeepsGoingThroughTransientErrors) {
  RecordingReporter reporter;
  reporter.heartbeat_status = absl::UnavailableError("server restarting");
  v1::LeasedTask task;
  task.set_task_id("t-1");
  {
    LeaseKeeper keeper(reporter, task, 0, absl::Milliseconds(10));
    EXPECT_TRUE(Eventually([&] { return reporter.HeartbeatCount() >= 3; }))
        << "transient: keeps trying";
    {
      absl::MutexLock lock(&reporter.heartbeat_mu);
      reporter.heartbeat_status =
          absl::FailedPreconditionError("lease lost: task t-1 lease expired");
    }
    EXPECT_TRUE(Eventually([&] { return !keeper.lease_lost().empty(); }));
    EXPECT_EQ(keeper.lease_lost(), "lease lost: task t-1 lease expired");
    const int at_loss = reporter.HeartbeatCount();
    WaitThreeIntervals(absl::Milliseconds(10));
    EXPECT_EQ(reporter.HeartbeatCount(), at_loss) << "nothing more to keep";
  }
}

// A whole task whose Install.ps1 takes 600 ms with heartbeats every 50 ms:
// the heartbeats name the install step, and nothing else differs.
TEST(TaskRunnerHeartbeats, ASlowStepIsCoveredByHeartbeats) {
  TempDir dir;
  auto host = MakeSim("ws2016", dir.path(), "SIM-SLOW-0001", nullptr,
                      absl::Milliseconds(600));
  FakeFetcher fetcher;
  auto plan = testing::OnboardPlan(*host, fetcher);
  ASSERT_TRUE(plan.ok()) << plan.status();
  v1::LeasedTask task;
  task.set_task_id("t-slow");
  task.set_attempt(1);
  task.set_lease_id("lease-1");
  *task.mutable_plan() = *plan;
  RecordingReporter reporter;
  TaskRunnerOptions options;
  options.heartbeat_interval = absl::Milliseconds(50);
  TaskOutcome out = RunTask(task, *host, fetcher, reporter, options);
  ASSERT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  int install_heartbeats = 0;
  absl::MutexLock lock(&reporter.heartbeat_mu);
  for (const v1::HeartbeatRequest& h : reporter.heartbeats) {
    EXPECT_EQ(h.lease_id(), "lease-1");
    if (plan->steps(static_cast<int>(h.step_index())).name() ==
        "run_install_ps1") {
      ++install_heartbeats;
    }
  }
  EXPECT_GE(install_heartbeats, 5);
}

}  // namespace
}  // namespace mdefleet::runner

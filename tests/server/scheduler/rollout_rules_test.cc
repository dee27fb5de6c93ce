// The rollout's decisions on plain counters: waves, canaries, approval and
// the failure threshold.
#include "server/scheduler/rollout_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet::testing {
namespace {

using scheduler::DecideTaskEnded;
using scheduler::JobRollout;
using ::testing::HasSubstr;

constexpr int64_t kRolloutNow = 1'000'000'000;
constexpr int64_t kInterval = 60'000'000;

// A running job on its canaries: 2 canaries leased, both still running.
JobRollout OnCanaries() {
  JobRollout job;
  job.job_id = "j1";
  job.state = v1::JOB_STATE_RUNNING;
  job.total = 10;
  job.canary = 2;
  job.wave_size = 4;
  job.wave_interval_micros = kInterval;
  job.wave = 0;
  job.wave_leased = 2;
  job.wave_pending = 2;
  return job;
}

// A running job in wave 1 of 4 tasks, all leased, one still running.
JobRollout LastOfWaveOne() {
  JobRollout job = OnCanaries();
  job.wave = 1;
  job.wave_leased = 4;
  job.wave_pending = 1;
  return job;
}

TEST(RolloutRulesTest, AFailedCanaryPausesTheJob) {
  const auto d =
      DecideTaskEnded(OnCanaries(), 0, v1::TASK_STATE_FAILED, kRolloutNow);
  EXPECT_TRUE(d.counted_in_wave);
  EXPECT_TRUE(d.wave_failure);
  EXPECT_FALSE(d.refund_slot);
  EXPECT_EQ(d.pause, v1::PAUSE_CAUSE_CANARY_FAILED);
  EXPECT_FALSE(d.open_next_wave_at.has_value());
  EXPECT_EQ(d.after.wave_pending, 1);
  EXPECT_EQ(d.after.wave_failed, 1);
}

TEST(RolloutRulesTest, ASkippedCanaryGivesItsSlotBack) {
  const auto d =
      DecideTaskEnded(OnCanaries(), 0, v1::TASK_STATE_SKIPPED, kRolloutNow);
  EXPECT_TRUE(d.refund_slot);
  EXPECT_FALSE(d.pause.has_value());
  EXPECT_EQ(d.after.wave_leased, 1);
  EXPECT_EQ(d.after.wave_pending, 1);
}

TEST(RolloutRulesTest, TheLastCanaryOpensTheFirstWaveAfterTheInterval) {
  JobRollout job = OnCanaries();
  job.wave_pending = 1;
  const auto d = DecideTaskEnded(job, 0, v1::TASK_STATE_SUCCEEDED, kRolloutNow);
  EXPECT_FALSE(d.pause.has_value());
  EXPECT_EQ(d.open_next_wave_at, kRolloutNow + kInterval);
}

TEST(RolloutRulesTest, CanariesAskedToWaitPauseForApproval) {
  JobRollout job = OnCanaries();
  job.wave_pending = 1;
  job.canary_approval = true;
  const auto d = DecideTaskEnded(job, 0, v1::TASK_STATE_SUCCEEDED, kRolloutNow);
  EXPECT_EQ(d.pause, v1::PAUSE_CAUSE_AWAITING_APPROVAL);
  EXPECT_FALSE(d.open_next_wave_at.has_value());
  EXPECT_EQ(scheduler::AwaitingApprovalReason(d.after),
            "awaiting approval: the 2 canaries succeeded; continue with "
            "`mdefleetctl jobs resume j1`");
}

TEST(RolloutRulesTest, AWaveOpensOnlyWhenItsBudgetIsUsedAndEveryTaskEnded) {
  JobRollout job = LastOfWaveOne();
  job.wave_pending = 2;
  EXPECT_FALSE(DecideTaskEnded(job, 1, v1::TASK_STATE_SUCCEEDED, kRolloutNow)
                   .open_next_wave_at.has_value());
  job = LastOfWaveOne();
  job.wave_leased = 3;
  job.wave_pending = 1;
  EXPECT_FALSE(DecideTaskEnded(job, 1, v1::TASK_STATE_SUCCEEDED, kRolloutNow)
                   .open_next_wave_at.has_value());
  EXPECT_EQ(
      DecideTaskEnded(LastOfWaveOne(), 1, v1::TASK_STATE_SUCCEEDED, kRolloutNow)
          .open_next_wave_at,
      kRolloutNow + kInterval);
  // Failures of a later wave do not hold it back.
  EXPECT_EQ(
      DecideTaskEnded(LastOfWaveOne(), 1, v1::TASK_STATE_FAILED, kRolloutNow)
          .open_next_wave_at,
      kRolloutNow + kInterval);
}

TEST(RolloutRulesTest, UnlimitedWavesNeverOpen) {
  JobRollout job = LastOfWaveOne();
  job.wave_size = 0;
  EXPECT_FALSE(DecideTaskEnded(job, 1, v1::TASK_STATE_SUCCEEDED, kRolloutNow)
                   .open_next_wave_at.has_value());
}

TEST(RolloutRulesTest, ATaskOfAnEarlierWaveChangesNoWaveCounter) {
  const auto d =
      DecideTaskEnded(LastOfWaveOne(), 0, v1::TASK_STATE_FAILED, kRolloutNow);
  EXPECT_FALSE(d.counted_in_wave);
  EXPECT_EQ(d.after.wave_pending, 1);
  EXPECT_EQ(d.after.wave_failed, 0);
  EXPECT_FALSE(d.pause.has_value());
}

TEST(RolloutRulesTest, FailuresOverTheThresholdPauseTheJob) {
  JobRollout job = LastOfWaveOne();
  job.wave_pending = 2;
  job.max_failures = 1;
  job.failures = 1;  // read after the counters moved: this is the first
  EXPECT_FALSE(DecideTaskEnded(job, 1, v1::TASK_STATE_FAILED, kRolloutNow)
                   .pause.has_value());
  job.failures = 2;
  const auto d = DecideTaskEnded(job, 1, v1::TASK_STATE_TIMED_OUT, kRolloutNow);
  EXPECT_EQ(d.pause, v1::PAUSE_CAUSE_MAX_FAILURES);
  // A success over the threshold does not pause (a retry can succeed).
  EXPECT_FALSE(DecideTaskEnded(job, 1, v1::TASK_STATE_SUCCEEDED, kRolloutNow)
                   .pause.has_value());
}

TEST(RolloutRulesTest, AFailureThatEndsTheWaveOverTheThresholdPausesIt) {
  JobRollout job = LastOfWaveOne();
  job.max_failures = 0;
  job.failures = 1;
  const auto d = DecideTaskEnded(job, 1, v1::TASK_STATE_FAILED, kRolloutNow);
  EXPECT_EQ(d.pause, v1::PAUSE_CAUSE_MAX_FAILURES);
  EXPECT_FALSE(d.open_next_wave_at.has_value()) << "paused: no next wave";
}

TEST(RolloutRulesTest, AFailedCanaryIsOneReasonNotTwo) {
  JobRollout job = OnCanaries();
  job.max_failures = 0;
  job.failures = 1;
  EXPECT_EQ(DecideTaskEnded(job, 0, v1::TASK_STATE_FAILED, kRolloutNow).pause,
            v1::PAUSE_CAUSE_CANARY_FAILED);
}

TEST(RolloutRulesTest, APausedJobChangesNoWaveAndIsNotPausedAgain) {
  JobRollout job = LastOfWaveOne();
  job.state = v1::JOB_STATE_PAUSED;
  job.max_failures = 0;
  job.failures = 3;
  const auto d = DecideTaskEnded(job, 1, v1::TASK_STATE_FAILED, kRolloutNow);
  EXPECT_FALSE(d.pause.has_value());
  EXPECT_FALSE(d.open_next_wave_at.has_value());
  EXPECT_EQ(d.after.wave_pending, 0) << "the counters still move";
}

TEST(RolloutRulesTest, ResumeOpensTheFirstWaveOnApprovalOrAFailedCanary) {
  JobRollout job = OnCanaries();
  job.wave_pending = 0;
  EXPECT_TRUE(scheduler::DecideResume(job, v1::PAUSE_CAUSE_AWAITING_APPROVAL)
                  .open_first_wave_now);
  job.wave_failed = 1;
  EXPECT_TRUE(scheduler::DecideResume(job, v1::PAUSE_CAUSE_CANARY_FAILED)
                  .open_first_wave_now);
  // retry-failed gave the failed canary's slot back: the canaries go on.
  job.wave_failed = 0;
  job.wave_leased = 1;
  const auto again =
      scheduler::DecideResume(job, v1::PAUSE_CAUSE_CANARY_FAILED);
  EXPECT_FALSE(again.open_first_wave_now);
  EXPECT_EQ(again.wake, 1);
  // An operator's pause in wave 1: wake what the wave still allows.
  JobRollout later = LastOfWaveOne();
  later.wave_leased = 1;
  EXPECT_EQ(scheduler::DecideResume(later, v1::PAUSE_CAUSE_OPERATOR).wake, 3);
}

TEST(RolloutRulesTest, WakeCountIsTheBudgetBounded) {
  EXPECT_EQ(scheduler::WakeCount(3), 3);
  EXPECT_EQ(scheduler::WakeCount(0), 256);
  EXPECT_EQ(scheduler::WakeCount(100000), 256);
}

TEST(RolloutRulesTest, PauseReasonsSayWhatToDoNext) {
  EXPECT_EQ(scheduler::CanaryFailedReason("j1", "ws01", "exit 1"),
            "paused: canary failed on ws01: exit 1. Fix the cause and "
            "`mdefleetctl jobs retry-failed j1`, or continue anyway with "
            "`mdefleetctl jobs resume j1`");
  JobRollout job = LastOfWaveOne();
  job.failures = 2;
  job.max_failures = 1;
  v1::Threshold percent;
  percent.set_percent(10);
  EXPECT_THAT(scheduler::MaxFailuresReason(job, percent),
              HasSubstr("paused: 2 failures exceed --max-failures 10% (1 of "
                        "10 tasks); nothing more is leased."));
  v1::Threshold count;
  count.set_count(0);
  job.failures = 1;
  job.max_failures = 0;
  EXPECT_THAT(scheduler::MaxFailuresReason(job, count),
              HasSubstr("paused: 1 failure exceeds --max-failures 0;"));
}

}  // namespace
}  // namespace mdefleet::testing

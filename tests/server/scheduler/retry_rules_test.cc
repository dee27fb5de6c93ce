// Automatic retries: how many, when, and never past the deadline.
#include "server/scheduler/retry_rules.h"

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mdefleet::testing {
namespace {

using scheduler::NextAutomaticRetry;
using scheduler::RetryInputs;

const int64_t kRetryNow = absl::ToUnixMicros(absl::FromCivil(
    absl::CivilSecond(2024, 3, 1, 12, 0, 0), absl::UTCTimeZone()));

RetryInputs ThreeRetriesOf10s() {
  RetryInputs in;
  in.job_state = v1::JOB_STATE_RUNNING;
  in.retries = 3;
  in.retry_backoff_micros = absl::ToInt64Microseconds(absl::Seconds(10));
  return in;
}

TEST(RetryRulesTest, RetriesBackOffAndRunOut) {
  RetryInputs in = ThreeRetriesOf10s();
  auto first = NextAutomaticRetry(in, kRetryNow);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->number, 1);
  EXPECT_EQ(first->of, 3);
  EXPECT_EQ(first->at, kRetryNow + 10'000'000);
  in.retries_used = 2;
  auto third = NextAutomaticRetry(in, kRetryNow);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->number, 3);
  EXPECT_EQ(third->at, kRetryNow + 40'000'000);  // 10 s * 2^2
  in.retries_used = 3;
  EXPECT_FALSE(NextAutomaticRetry(in, kRetryNow).has_value());
}

TEST(RetryRulesTest, NoBackoffGivenIsTheDefaultMinute) {
  RetryInputs in = ThreeRetriesOf10s();
  in.retry_backoff_micros = 0;
  auto retry = NextAutomaticRetry(in, kRetryNow);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->at, kRetryNow + 60'000'000);
}

TEST(RetryRulesTest, OnlyJobsThatMayStillRunRetry) {
  RetryInputs in = ThreeRetriesOf10s();
  for (v1::JobState state :
       {v1::JOB_STATE_PENDING, v1::JOB_STATE_RUNNING, v1::JOB_STATE_PAUSED}) {
    in.job_state = state;
    EXPECT_TRUE(NextAutomaticRetry(in, kRetryNow).has_value()) << state;
  }
  for (v1::JobState state : {v1::JOB_STATE_CANCELLED, v1::JOB_STATE_EXPIRED,
                             v1::JOB_STATE_SUCCEEDED, v1::JOB_STATE_FAILED}) {
    in.job_state = state;
    EXPECT_FALSE(NextAutomaticRetry(in, kRetryNow).has_value()) << state;
  }
}

TEST(RetryRulesTest, ARetryThatWouldStartAtOrAfterTheDeadlineIsNone) {
  RetryInputs in = ThreeRetriesOf10s();
  in.deadline_at = kRetryNow + 10'000'000;
  EXPECT_FALSE(NextAutomaticRetry(in, kRetryNow).has_value());
  in.deadline_at = kRetryNow + 10'000'001;
  EXPECT_TRUE(NextAutomaticRetry(in, kRetryNow).has_value());
}

TEST(RetryRulesTest, TheNoteSaysWhichRetryAndWhen) {
  EXPECT_EQ(scheduler::RetryNote(
                {.at = kRetryNow + 60'000'000, .number = 1, .of = 3}),
            "retry 1 of 3 at 2024-03-01 12:01:00Z");
}

}  // namespace
}  // namespace mdefleet::testing

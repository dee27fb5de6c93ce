#include "common/sliding_window_limiter.h"

#include <vector>

#include "gtest/gtest.h"

namespace mdefleet {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

// Largest number of calls in any closed window of `length`.
int MaxInWindow(std::vector<absl::Time> calls, absl::Duration length) {
  std::sort(calls.begin(), calls.end());
  int best = 0;
  size_t j = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    while (calls[i] - calls[j] > length) ++j;
    best = std::max(best, static_cast<int>(i - j + 1));
  }
  return best;
}

// Takes every call as soon as the limiter allows, from `start`, `n` times.
std::vector<absl::Time> Burst(SlidingWindowLimiter& l, absl::Time start,
                              int n) {
  std::vector<absl::Time> taken;
  absl::Time now = start;
  for (int i = 0; i < n; ++i) {
    now = l.NextAllowed(now);
    EXPECT_TRUE(l.TryAcquire(now));
    taken.push_back(now);
  }
  return taken;
}

TEST(SlidingWindowLimiterTest, AllowsUpToTheLimitAtOnce) {
  SlidingWindowLimiter l({{absl::Seconds(60), 3}});
  EXPECT_TRUE(l.TryAcquire(kT0));
  EXPECT_TRUE(l.TryAcquire(kT0));
  EXPECT_TRUE(l.TryAcquire(kT0 + absl::Seconds(1)));
  EXPECT_FALSE(l.TryAcquire(kT0 + absl::Seconds(2)));
  EXPECT_EQ(l.CallsWithin(kT0 + absl::Seconds(2), absl::Seconds(60)), 3);
}

TEST(SlidingWindowLimiterTest, ASlotFreesJustAfterTheOldestCallLeaves) {
  SlidingWindowLimiter l({{absl::Seconds(60), 2}});
  ASSERT_TRUE(l.TryAcquire(kT0));
  ASSERT_TRUE(l.TryAcquire(kT0 + absl::Seconds(10)));
  // A call exactly 60 s after the first still shares a closed window.
  EXPECT_FALSE(l.TryAcquire(kT0 + absl::Seconds(60)));
  EXPECT_EQ(l.NextAllowed(kT0 + absl::Seconds(20)),
            kT0 + absl::Seconds(60) + absl::Microseconds(1));
  EXPECT_TRUE(l.TryAcquire(kT0 + absl::Seconds(60) + absl::Microseconds(1)));
  EXPECT_EQ(l.NextAllowed(kT0 + absl::Seconds(61)),
            kT0 + absl::Seconds(70) + absl::Microseconds(1));
}

TEST(SlidingWindowLimiterTest, FailedAcquireRecordsNothing) {
  SlidingWindowLimiter l({{absl::Seconds(60), 1}});
  ASSERT_TRUE(l.TryAcquire(kT0));
  for (int i = 1; i < 50; ++i) {
    EXPECT_FALSE(l.TryAcquire(kT0 + absl::Seconds(i)));
  }
  EXPECT_EQ(l.CallsWithin(kT0 + absl::Seconds(59), absl::Seconds(60)), 1);
  EXPECT_TRUE(l.TryAcquire(kT0 + absl::Seconds(61)));
}

TEST(SlidingWindowLimiterTest, DefenderBurstOf250NeverExceedsEitherWindow) {
  SlidingWindowLimiter l = SlidingWindowLimiter::DefenderApi();
  const std::vector<absl::Time> calls = Burst(l, kT0, 250);
  EXPECT_EQ(MaxInWindow(calls, absl::Seconds(60)), 100);
  // 250 calls need three minutes' worth of windows: 100, 100, 50.
  EXPECT_EQ(calls[99], kT0);
  EXPECT_GT(calls[100], kT0 + absl::Seconds(60));
  EXPECT_GT(calls[200], kT0 + absl::Seconds(120));
  EXPECT_LE(calls[249], kT0 + absl::Seconds(121));
}

TEST(SlidingWindowLimiterTest, TheHourlyLimitBindsAfter1500Calls) {
  SlidingWindowLimiter l = SlidingWindowLimiter::DefenderApi();
  const std::vector<absl::Time> calls = Burst(l, kT0, 1700);
  EXPECT_EQ(MaxInWindow(calls, absl::Seconds(60)), 100);
  EXPECT_EQ(MaxInWindow(calls, absl::Seconds(3600)), 1500);
  // Calls 1..1500 take 15 minutes; 1501 waits for the first to leave the
  // hour.
  EXPECT_GT(calls[1500], kT0 + absl::Hours(1));
  EXPECT_LT(calls[1499], kT0 + absl::Minutes(16));
}

TEST(SlidingWindowLimiterTest, SpreadCallsStayUnderTheLimit) {
  SlidingWindowLimiter l = SlidingWindowLimiter::DefenderApi();
  // One attempt every 250 ms for two hours: most are refused, none of the
  // accepted ones break a window.
  std::vector<absl::Time> taken;
  for (int i = 0; i < 2 * 3600 * 4; ++i) {
    const absl::Time now = kT0 + absl::Milliseconds(250) * i;
    if (l.TryAcquire(now)) taken.push_back(now);
  }
  EXPECT_LE(MaxInWindow(taken, absl::Seconds(60)), 100);
  EXPECT_LE(MaxInWindow(taken, absl::Seconds(3600)), 1500);
  EXPECT_GE(taken.size(), 2900u);  // the limit is used, not wasted
}

TEST(SlidingWindowLimiterTest, RestoreAfterARestartKeepsTheWindows) {
  SlidingWindowLimiter before = SlidingWindowLimiter::DefenderApi();
  std::vector<absl::Time> calls = Burst(before, kT0, 100);
  // The server restarts 30 s later with the persisted call times.
  SlidingWindowLimiter after = SlidingWindowLimiter::DefenderApi();
  const absl::Time restart = kT0 + absl::Seconds(30);
  after.Restore(calls, restart);
  EXPECT_FALSE(after.TryAcquire(restart));
  EXPECT_EQ(after.NextAllowed(restart),
            kT0 + absl::Seconds(60) + absl::Microseconds(1));
  const std::vector<absl::Time> more = Burst(after, restart, 150);
  calls.insert(calls.end(), more.begin(), more.end());
  EXPECT_EQ(MaxInWindow(calls, absl::Seconds(60)), 100);
}

TEST(SlidingWindowLimiterTest, RestoreDropsCallsOlderThanTheLongestWindow) {
  SlidingWindowLimiter l = SlidingWindowLimiter::DefenderApi();
  std::vector<absl::Time> old(1500, kT0);
  l.Restore(old, kT0 + absl::Hours(2));
  EXPECT_EQ(l.CallsWithin(kT0 + absl::Hours(2), absl::Hours(3)), 0);
  EXPECT_TRUE(l.TryAcquire(kT0 + absl::Hours(2)));
}

TEST(SlidingWindowLimiterTest, RestoredCallsInTheFutureStillCount) {
  // Persisted as "sent at most by" times (start + timeout): after a quick
  // restart they lie ahead of now and must hold the window shut.
  SlidingWindowLimiter l({{absl::Seconds(60), 1}});
  l.Restore({kT0 + absl::Seconds(30)}, kT0);
  EXPECT_FALSE(l.TryAcquire(kT0));
  EXPECT_EQ(l.NextAllowed(kT0),
            kT0 + absl::Seconds(90) + absl::Microseconds(1));
}

TEST(SlidingWindowLimiterTest, CompleteMovesACallToItsAnswer) {
  SlidingWindowLimiter l({{absl::Seconds(60), 1}});
  ASSERT_TRUE(l.TryAcquire(kT0));
  l.Complete(kT0, kT0 + absl::Seconds(5));
  // The server may have received it as late as the answer.
  EXPECT_EQ(l.NextAllowed(kT0 + absl::Seconds(10)),
            kT0 + absl::Seconds(65) + absl::Microseconds(1));
  l.Complete(kT0 + absl::Seconds(99), kT0 + absl::Seconds(100));  // unknown
  EXPECT_EQ(l.CallsWithin(kT0 + absl::Seconds(10), absl::Seconds(60)), 1);
}

TEST(SlidingWindowLimiterTest, BlockUntilHoldsEveryCall) {
  SlidingWindowLimiter l = SlidingWindowLimiter::DefenderApi();
  l.BlockUntil(kT0 + absl::Seconds(30));
  EXPECT_FALSE(l.TryAcquire(kT0));
  EXPECT_EQ(l.NextAllowed(kT0), kT0 + absl::Seconds(30));
  l.BlockUntil(kT0 + absl::Seconds(10));  // an earlier block does not shorten
  EXPECT_EQ(l.NextAllowed(kT0), kT0 + absl::Seconds(30));
  EXPECT_TRUE(l.TryAcquire(kT0 + absl::Seconds(30)));
}

TEST(SlidingWindowLimiterTest, PruneForgetsOnlyWhatNoWindowCounts) {
  SlidingWindowLimiter l = SlidingWindowLimiter::DefenderApi();
  Burst(l, kT0, 100);
  l.Prune(kT0 + absl::Minutes(30));
  EXPECT_EQ(l.CallsWithin(kT0 + absl::Minutes(30), absl::Hours(1)), 100);
  l.Prune(kT0 + absl::Hours(1) + absl::Seconds(1));
  EXPECT_EQ(l.CallsWithin(kT0 + absl::Hours(2), absl::Hours(3)), 0);
}

}  // namespace
}  // namespace mdefleet

// A server's retry delay (RESOURCE_EXHAUSTED at its connection limit): read
// from the call's trailing metadata, bounded, and spread with jitter.
#include <random>

#include "absl/strings/cord.h"
#include "gtest/gtest.h"
#include "runner/client/backoff.h"
#include "runner/client/grpc_runner_api.h"

namespace mdefleet::runner {
namespace {

TEST(RetryAfterTest, ReadsThePayloadFromTheServersMetadata) {
  absl::Status refused = absl::ResourceExhaustedError("at the limit");
  EXPECT_FALSE(RetryAfter(refused).has_value());
  refused.SetPayload(kRetryAfterPayload, absl::Cord("10000"));
  EXPECT_EQ(RetryAfter(refused), absl::Seconds(10));
  refused.SetPayload(kRetryAfterPayload, absl::Cord("soon"));
  EXPECT_FALSE(RetryAfter(refused).has_value());
}

TEST(RetryAfterTest, SpreadsOverOnceToTwiceTheDelay) {
  std::mt19937_64 rng(7);
  absl::Duration lowest = absl::InfiniteDuration(), highest;
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration wait = SpreadRetryAfter(absl::Seconds(10), rng);
    EXPECT_GE(wait, absl::Seconds(10));
    EXPECT_LE(wait, absl::Seconds(20));
    lowest = std::min(lowest, wait);
    highest = std::max(highest, wait);
  }
  // Spread out, not one instant for the whole herd.
  EXPECT_LT(lowest, absl::Seconds(11));
  EXPECT_GT(highest, absl::Seconds(19));
}

}  // namespace
}  // namespace mdefleet::runner

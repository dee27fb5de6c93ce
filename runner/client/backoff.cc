#include "runner/client/backoff.h"

#include <algorithm>

namespace mdefleet::runner {

absl::Duration Backoff::Next() {
  const absl::Duration current = next_;
  next_ = std::min(next_ * 2, max_);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return current * jitter(rng_);
}

absl::Duration SpreadRetryAfter(absl::Duration after, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> spread(1.0, 2.0);
  return after * spread(rng);
}

}  // namespace mdefleet::runner

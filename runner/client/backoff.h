// Exponential backoff with full jitter for reconnecting to the server.
#ifndef MDEFLEET_RUNNER_CLIENT_BACKOFF_H_
#define MDEFLEET_RUNNER_CLIENT_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace mdefleet::runner {

class Backoff {
 public:
  // Delays grow from `initial` by x2 up to `max`; each is drawn uniformly
  // from [delay/2, delay] so a fleet does not reconnect in lockstep.
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed)
      : initial_(initial), max_(max), next_(initial), rng_(seed) {}

  // The delay to wait before the next attempt.
  absl::Duration Next();
  // After a success: start again from `initial`.
  void Reset() { next_ = initial_; }

 private:
  absl::Duration initial_, max_, next_;
  std::mt19937_64 rng_;
};

// The wait before retrying a call the server refused with a retry delay
// (its connection limit): the delay plus up to as much again, uniformly, so
// a herd refused together does not come back together.
absl::Duration SpreadRetryAfter(absl::Duration after, std::mt19937_64& rng);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_BACKOFF_H_

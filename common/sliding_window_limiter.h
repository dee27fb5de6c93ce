// A rate limit made of sliding windows ("at most 100 calls in any 60 s and
// at most 1500 in any 3600 s"), as the Defender API enforces it. Pure: the
// caller passes the time (from an injected Clock) and persists the calls.
#ifndef MDEFLEET_COMMON_SLIDING_WINDOW_LIMITER_H_
#define MDEFLEET_COMMON_SLIDING_WINDOW_LIMITER_H_

#include <cstdint>
#include <set>
#include <vector>

#include "absl/time/time.h"

namespace mdefleet {

class SlidingWindowLimiter {
 public:
  struct Window {
    absl::Duration length;
    int64_t max_calls = 0;
  };

  // `windows` must not be empty; each needs a positive length and max_calls.
  explicit SlidingWindowLimiter(std::vector<Window> windows);

  // The Defender API's limits: 100 calls per 60 s, 1500 per 3600 s.
  static SlidingWindowLimiter DefenderApi();

  // Adds calls recorded before (e.g. read back after a restart), in any
  // order. Calls older than the longest window are dropped.
  void Restore(const std::vector<absl::Time>& calls, absl::Time now);

  // The earliest time at or after `now` at which one more call keeps every
  // window within its limit, counting a call at time t in every window that
  // contains t with both ends closed (so a call exactly one window length
  // after another still counts both), and honouring BlockUntil.
  absl::Time NextAllowed(absl::Time now) const;

  // Records a call at `now` and returns true when NextAllowed(now) == now;
  // otherwise returns false and records nothing.
  bool TryAcquire(absl::Time now);

  // Moves a call recorded at `started` to `finished` (when its answer came
  // back). The server may have received it any time in between, so the later
  // time keeps the next calls far enough from it. No-op when no call was
  // recorded at `started`.
  void Complete(absl::Time started, absl::Time finished);

  // No call before `until` (the API answered 429 with Retry-After).
  void BlockUntil(absl::Time until);

  // Calls recorded in [now - length, now].
  int64_t CallsWithin(absl::Time now, absl::Duration length) const;

  // Drops calls that no window can count any more at or after `now`.
  void Prune(absl::Time now);

  const std::vector<Window>& windows() const { return windows_; }

 private:
  std::vector<Window> windows_;
  absl::Duration longest_;
  std::multiset<absl::Time> calls_;
  absl::Time blocked_until_ = absl::InfinitePast();
};

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_SLIDING_WINDOW_LIMITER_H_

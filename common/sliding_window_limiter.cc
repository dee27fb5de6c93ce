#include "common/sliding_window_limiter.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace mdefleet {

SlidingWindowLimiter::SlidingWindowLimiter(std::vector<Window> windows)
    : windows_(std::move(windows)), longest_(absl::ZeroDuration()) {
  for (const Window& w : windows_) longest_ = std::max(longest_, w.length);
}

SlidingWindowLimiter SlidingWindowLimiter::DefenderApi() {
  return SlidingWindowLimiter(
      {{absl::Seconds(60), 100}, {absl::Seconds(3600), 1500}});
}

void SlidingWindowLimiter::Restore(const std::vector<absl::Time>& calls,
                                   absl::Time now) {
  for (absl::Time t : calls) {
    if (t >= now - longest_) calls_.insert(t);
  }
}

absl::Time SlidingWindowLimiter::NextAllowed(absl::Time now) const {
  absl::Time t = std::max(now, blocked_until_);
  // Each pass moves t past the oldest call that keeps one window full; t
  // only grows, and stops once no window is full.
  bool moved = true;
  while (moved) {
    moved = false;
    for (const Window& w : windows_) {
      // Calls a new call at t would share a window with: those >= t - length
      // (calls after t, possible after Restore with a clock that went back,
      // count too).
      auto first = calls_.lower_bound(t - w.length);
      const int64_t in_window = std::distance(first, calls_.end());
      if (in_window < w.max_calls) continue;
      // The call that must leave the window for one more to fit.
      std::advance(first, in_window - w.max_calls);
      t = *first + w.length + absl::Microseconds(1);
      moved = true;
    }
  }
  return t;
}

bool SlidingWindowLimiter::TryAcquire(absl::Time now) {
  if (NextAllowed(now) != now) return false;
  calls_.insert(now);
  return true;
}

void SlidingWindowLimiter::Complete(absl::Time started, absl::Time finished) {
  auto it = calls_.find(started);
  if (it == calls_.end()) return;
  calls_.erase(it);
  calls_.insert(std::max(started, finished));
}

void SlidingWindowLimiter::BlockUntil(absl::Time until) {
  blocked_until_ = std::max(blocked_until_, until);
}

int64_t SlidingWindowLimiter::CallsWithin(absl::Time now,
                                          absl::Duration length) const {
  return std::distance(calls_.lower_bound(now - length),
                       calls_.upper_bound(now));
}

void SlidingWindowLimiter::Prune(absl::Time now) {
  calls_.erase(calls_.begin(), calls_.lower_bound(now - longest_));
}

}  // namespace mdefleet

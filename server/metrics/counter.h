// A monotonically increasing count of events (Prometheus counter).
#ifndef MDEFLEET_SERVER_METRICS_COUNTER_H_
#define MDEFLEET_SERVER_METRICS_COUNTER_H_

#include <atomic>
#include <cstdint>

namespace mdefleet::metrics {

// Whole events only: every counter of the server counts things (calls,
// requests), and an integer cannot be made to go down by a negative "add".
class Counter {
 public:
  void Increment(uint64_t by = 1) {
    value_.fetch_add(by, std::memory_order_relaxed);
  }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_COUNTER_H_

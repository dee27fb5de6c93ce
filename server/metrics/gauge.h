// A value that goes up and down (Prometheus gauge).
#ifndef MDEFLEET_SERVER_METRICS_GAUGE_H_
#define MDEFLEET_SERVER_METRICS_GAUGE_H_

#include <atomic>

namespace mdefleet::metrics {

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Increment() { Add(1); }
  void Decrement() { Add(-1); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_GAUGE_H_

// A distribution of observations in fixed buckets (Prometheus histogram).
#ifndef MDEFLEET_SERVER_METRICS_HISTOGRAM_H_
#define MDEFLEET_SERVER_METRICS_HISTOGRAM_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace mdefleet::metrics {

// InvalidArgument unless `bounds` is non-empty, finite and strictly
// increasing (the +Inf bucket is implicit).
[[nodiscard]] absl::Status CheckBucketBounds(const std::vector<double>& bounds);

// `count` bounds from `start`, each `factor` times the previous one.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

class Histogram {
 public:
  struct Snapshot {
    // (upper bound, observations <= bound), cumulative, finite bounds only.
    std::vector<std::pair<double, uint64_t>> buckets;
    double sum = 0;
    uint64_t count = 0;  // the +Inf bucket
  };

  // `bounds` must pass CheckBucketBounds (the registry checks it).
  explicit Histogram(std::vector<double> bounds);

  // Counts `value` in the first bucket whose bound is >= value (Prometheus
  // buckets are "less than or equal"); larger values only in +Inf.
  void Observe(double value);

  // One consistent view: the +Inf bucket always equals `count`.
  Snapshot Take() const;

 private:
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> counts_ ABSL_GUARDED_BY(mu_);  // per bucket, +Inf last
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_HISTOGRAM_H_

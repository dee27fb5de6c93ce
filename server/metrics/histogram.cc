#include "server/metrics/histogram.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace mdefleet::metrics {

absl::Status CheckBucketBounds(const std::vector<double>& bounds) {
  if (bounds.empty()) {
    return absl::InvalidArgumentError("histogram buckets: none given");
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "histogram buckets: bound ", i, " is not finite (+Inf is implied)"));
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "histogram buckets: bound ", i, " (", bounds[i],
          ") is not greater than the one before (", bounds[i - 1], ")"));
    }
  }
  return absl::OkStatus();
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> bounds;
  double bound = start;
  for (int i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  return bounds;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  // NaN is no bucket's "<=": it lands in +Inf only, as in the Prometheus
  // client libraries (lower_bound alone would put it in the first bucket).
  const size_t bucket =
      std::isnan(value)
          ? bounds_.size()
          : static_cast<size_t>(
                std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                bounds_.begin());
  absl::MutexLock lock(&mu_);
  ++counts_[bucket];
  sum_ += value;
}

Histogram::Snapshot Histogram::Take() const {
  Snapshot snapshot;
  snapshot.buckets.reserve(bounds_.size());
  absl::MutexLock lock(&mu_);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    snapshot.buckets.emplace_back(bounds_[i], cumulative);
  }
  snapshot.count = cumulative + counts_.back();
  snapshot.sum = sum_;
  return snapshot;
}

}  // namespace mdefleet::metrics

// A labelled family of counters, gauges or histograms: one child per
// distinct tuple of label values, created on first use.
#ifndef MDEFLEET_SERVER_METRICS_FAMILY_H_
#define MDEFLEET_SERVER_METRICS_FAMILY_H_

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/metrics/counter.h"
#include "server/metrics/gauge.h"
#include "server/metrics/histogram.h"
#include "server/metrics/snapshot.h"

namespace mdefleet::metrics {

// What the registry keeps of every family, whatever its type.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help)
      : name_(std::move(name)), help_(std::move(help)) {}
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  // The family's current values; series in label-value order.
  virtual FamilySnapshot Snapshot() const = 0;

 private:
  const std::string name_;
  const std::string help_;

 protected:
  FamilySnapshot Empty(MetricType type) const {
    FamilySnapshot s;
    s.name = name_;
    s.help = help_;
    s.type = type;
    return s;
  }
};

namespace family_internal {
inline void Append(const Counter& c, Labels labels, FamilySnapshot& out) {
  out.samples.push_back({std::move(labels), static_cast<double>(c.Value())});
}
inline void Append(const Gauge& g, Labels labels, FamilySnapshot& out) {
  out.samples.push_back({std::move(labels), g.Value()});
}
inline void Append(const Histogram& h, Labels labels, FamilySnapshot& out) {
  Histogram::Snapshot s = h.Take();
  out.histograms.push_back(
      {std::move(labels), std::move(s.buckets), s.sum, s.count});
}
template <typename Metric>
constexpr MetricType TypeOf();
template <>
constexpr MetricType TypeOf<Counter>() {
  return MetricType::kCounter;
}
template <>
constexpr MetricType TypeOf<Gauge>() {
  return MetricType::kGauge;
}
template <>
constexpr MetricType TypeOf<Histogram>() {
  return MetricType::kHistogram;
}
}  // namespace family_internal

// N label names fixed at registration, so a call site cannot pass the wrong
// number of values. Children live as long as the family (the registry).
template <typename Metric, size_t N>
class Family final : public FamilyBase {
 public:
  using LabelValues = std::array<std::string, N>;

  Family(std::string name, std::string help,
         std::array<std::string, N> label_names,
         std::function<std::unique_ptr<Metric>()> make)
      : FamilyBase(std::move(name), std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // The child for `values` (any strings; the writer escapes them). The
  // reference stays valid for the family's life.
  Metric& With(const LabelValues& values) {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<Metric>& child = children_[values];
    if (child == nullptr) child = make_();
    return *child;
  }

  FamilySnapshot Snapshot() const override {
    FamilySnapshot out = Empty(family_internal::TypeOf<Metric>());
    absl::MutexLock lock(&mu_);
    for (const auto& [values, child] : children_) {
      Labels labels;
      labels.reserve(N);
      for (size_t i = 0; i < N; ++i) {
        labels.emplace_back(label_names_[i], values[i]);
      }
      family_internal::Append(*child, std::move(labels), out);
    }
    return out;
  }

 private:
  const std::array<std::string, N> label_names_;
  const std::function<std::unique_ptr<Metric>()> make_;
  mutable absl::Mutex mu_;
  std::map<LabelValues, std::unique_ptr<Metric>> children_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_FAMILY_H_

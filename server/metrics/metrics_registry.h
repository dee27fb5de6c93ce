// The server's metrics: families registered once at startup, updated by the
// instrumented code, plus collectors called at every scrape (the gauges that
// are read from the store), rendered in the Prometheus text format.
#ifndef MDEFLEET_SERVER_METRICS_METRICS_REGISTRY_H_
#define MDEFLEET_SERVER_METRICS_METRICS_REGISTRY_H_

#include <array>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/metrics/counter.h"
#include "server/metrics/family.h"
#include "server/metrics/gauge.h"
#include "server/metrics/histogram.h"
#include "server/metrics/names.h"
#include "server/metrics/snapshot.h"

namespace mdefleet::metrics {

// Families a collector produces at scrape time. An error leaves them out of
// that scrape and sets mdefleet_collector_up{collector=<name>} to 0.
using Collector = std::function<absl::StatusOr<std::vector<FamilySnapshot>>()>;

// Thread-safe. Registration returns pointers owned by the registry, valid
// for its life; InvalidArgument for a bad name, label or bucket list,
// AlreadyExists when the name (or one of a histogram's _bucket/_sum/_count
// names) is taken.
class MetricsRegistry {
 public:
  // The family rendered for collectors' health.
  static constexpr const char* kCollectorUpName = "mdefleet_collector_up";

  MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  template <size_t N>
  absl::StatusOr<Family<Counter, N>*> AddCounterFamily(
      std::string name, std::string help, std::array<std::string, N> labels) {
    return Add<Counter, N>(std::move(name), std::move(help), std::move(labels),
                           false, [] { return std::make_unique<Counter>(); });
  }
  template <size_t N>
  absl::StatusOr<Family<Gauge, N>*> AddGaugeFamily(
      std::string name, std::string help, std::array<std::string, N> labels) {
    return Add<Gauge, N>(std::move(name), std::move(help), std::move(labels),
                         false, [] { return std::make_unique<Gauge>(); });
  }
  template <size_t N>
  absl::StatusOr<Family<Histogram, N>*> AddHistogramFamily(
      std::string name, std::string help, std::array<std::string, N> labels,
      std::vector<double> bounds) {
    if (absl::Status s = CheckBucketBounds(bounds); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": ", s.message()));
    }
    return Add<Histogram, N>(
        std::move(name), std::move(help), std::move(labels), true,
        [bounds] { return std::make_unique<Histogram>(bounds); });
  }

  // Unlabelled metrics: a family with its one series.
  absl::StatusOr<Counter*> AddCounter(std::string name, std::string help);
  absl::StatusOr<Gauge*> AddGauge(std::string name, std::string help);
  absl::StatusOr<Histogram*> AddHistogram(std::string name, std::string help,
                                          std::vector<double> bounds);

  // `name` (a label value) identifies the collector in
  // mdefleet_collector_up; AlreadyExists if taken.
  [[nodiscard]] absl::Status AddCollector(std::string name,
                                          Collector collector);

  // Every family, registered and collected, sorted by name. A collector whose
  // output is malformed (bad or taken names) is treated as failed.
  std::vector<FamilySnapshot> Collect() const;

  // Collect() in the text exposition format 0.0.4 (kTextFormatContentType).
  std::string Render() const;

 private:
  // Names a family of this type occupies in the exposition.
  static std::vector<std::string> SampleNames(const std::string& name,
                                              bool histogram);
  // Checks the names and records them; see the class comment for errors.
  absl::Status Reserve(const std::string& name,
                       const std::vector<std::string>& labels, bool histogram)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  template <typename Metric, size_t N>
  absl::StatusOr<Family<Metric, N>*> Add(
      std::string name, std::string help, std::array<std::string, N> labels,
      bool histogram, std::function<std::unique_ptr<Metric>()> make) {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = Reserve(
            name, std::vector<std::string>(labels.begin(), labels.end()),
            histogram);
        !s.ok()) {
      return s;
    }
    auto family = std::make_unique<Family<Metric, N>>(
        std::move(name), std::move(help), std::move(labels), std::move(make));
    Family<Metric, N>* raw = family.get();
    families_.push_back(std::move(family));
    return raw;
  }

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> taken_ ABSL_GUARDED_BY(mu_);  // family and sample names
  std::vector<std::pair<std::string, Collector>> collectors_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_METRICS_REGISTRY_H_

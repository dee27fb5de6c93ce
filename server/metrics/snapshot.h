// Plain values of metric families at one instant: what the registry and the
// scrape-time collectors hand to the text writer.
#ifndef MDEFLEET_SERVER_METRICS_SNAPSHOT_H_
#define MDEFLEET_SERVER_METRICS_SNAPSHOT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mdefleet::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

// Label name/value pairs, in the family's label order.
using Labels = std::vector<std::pair<std::string, std::string>>;

// One counter or gauge series.
struct Sample {
  Labels labels;
  double value = 0;
};

// One histogram series. `buckets` holds (upper bound, cumulative count) for
// every finite bound in increasing order; the +Inf bucket is `count`.
struct HistogramSample {
  Labels labels;
  std::vector<std::pair<double, uint64_t>> buckets;
  double sum = 0;
  uint64_t count = 0;
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<Sample> samples;              // counters and gauges
  std::vector<HistogramSample> histograms;  // histograms
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_SNAPSHOT_H_

// What Prometheus accepts as metric and label names.
#ifndef MDEFLEET_SERVER_METRICS_NAMES_H_
#define MDEFLEET_SERVER_METRICS_NAMES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mdefleet::metrics {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(absl::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus).
bool IsValidLabelName(absl::string_view name);

// InvalidArgument naming the metric (and the label) when a name is not
// valid, or a label name repeats, or a histogram uses the label "le".
[[nodiscard]] absl::Status CheckNames(absl::string_view metric,
                                      const std::vector<std::string>& labels,
                                      bool histogram);

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_NAMES_H_

// The /metrics body: every family of the given collectables (the registry of
// the server's instruments, the store-derived gauges) in the Prometheus text
// exposition format 0.0.4, written by prometheus-cpp's TextSerializer.
#ifndef MDEFLEET_SERVER_METRICS_TEXT_EXPOSITION_H_
#define MDEFLEET_SERVER_METRICS_TEXT_EXPOSITION_H_

#include <prometheus/collectable.h>

#include <string>

#include "absl/types/span.h"

namespace mdefleet::metrics {

// Calls each collectable's Collect() and writes the families sorted by
// name, each family's series sorted by their labels (prometheus-cpp keeps
// them in hash order), so that two scrapes list the same lines in the same
// order. The collectables must not produce the same family name twice.
std::string RenderText(
    absl::Span<const prometheus::Collectable* const> collectables);

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_TEXT_EXPOSITION_H_

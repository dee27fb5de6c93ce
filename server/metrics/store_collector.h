// The gauges read from the store at scrape time: devices, runners, jobs,
// tasks, step failures and the api_offboard queue (docs/metrics.md).
#ifndef MDEFLEET_SERVER_METRICS_STORE_COLLECTOR_H_
#define MDEFLEET_SERVER_METRICS_STORE_COLLECTOR_H_

#include <google/protobuf/descriptor.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"
#include "server/store/metrics_queries.h"
#include "server/store/store.h"

namespace mdefleet::metrics {

// The family reporting whether the store could be read at this scrape.
inline constexpr char kCollectorUpName[] = "mdefleet_collector_up";

// Label value of an enum value: its proto name without the type's prefix,
// lowercased ("OS_FAMILY_WS2019" -> "ws2019", "TASK_STATE_TIMED_OUT" ->
// "timed_out"); a number the proto does not name is written as the number.
std::string EnumLabel(const google::protobuf::EnumDescriptor& type, int value);

// The families for `counts`. Every known OS family x MDE state, runner
// status and job state is present (0 when none), so a series does not
// disappear from dashboards when its count drops to zero; a family with no
// series (no tasks yet) still has its HELP and TYPE.
std::vector<prometheus::MetricFamily> StoreFamilies(
    const store::MetricsCounts& counts);

// Reads the counts on the store's read connection at every Collect(); a
// runner is online when it was seen within `online_window` of the clock's
// now (the same window as the fleet summary's). Collect() adds
// mdefleet_collector_up{collector="store"}: 1, or 0 when the read failed
// (the store's families are then left out of that scrape, the rest is
// served). `store` and `clock` must outlive it.
class StoreCollector final : public prometheus::Collectable {
 public:
  StoreCollector(store::Store& store, const Clock& clock,
                 absl::Duration online_window)
      : store_(store), clock_(clock), online_window_(online_window) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  store::Store& store_;
  const Clock& clock_;
  const absl::Duration online_window_;
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_STORE_COLLECTOR_H_

// The gauges read from the store at scrape time: devices, runners, jobs,
// tasks, step failures and the api_offboard queue (docs/metrics.md).
#ifndef MDEFLEET_SERVER_METRICS_STORE_COLLECTOR_H_
#define MDEFLEET_SERVER_METRICS_STORE_COLLECTOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/metrics/metrics_registry.h"
#include "server/metrics/snapshot.h"
#include "server/store/metrics_queries.h"
#include "server/store/store.h"

namespace mdefleet::metrics {

// Label value of an enum value: its proto name without the type's prefix,
// lowercased ("OS_FAMILY_WS2019" -> "ws2019", "TASK_STATE_TIMED_OUT" ->
// "timed_out"); a number the proto does not name is written as the number.
std::string EnumLabel(const google::protobuf::EnumDescriptor& type, int value);

// The families for `counts`. Every known OS family x MDE state, runner
// status and job state is present (0 when none), so a series does not
// disappear from dashboards when its count drops to zero.
std::vector<FamilySnapshot> StoreFamilies(const store::MetricsCounts& counts);

// A collector that reads the counts on the store's read connection; a runner
// is online when it was seen within `online_window` of the clock's now (the
// same window as the fleet summary's). `store` and `clock` must outlive it.
Collector StoreCollector(store::Store& store, const Clock& clock,
                         absl::Duration online_window);

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_STORE_COLLECTOR_H_

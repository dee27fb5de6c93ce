// Read-only counts behind the store-derived Prometheus gauges, computed at
// every scrape. Each is one indexed query (migrations/0006_metrics_indexes
// .sql and earlier indexes) or reads the jobs' per-state task counters,
// never the tasks table.
#ifndef MDEFLEET_SERVER_STORE_METRICS_QUERIES_H_
#define MDEFLEET_SERVER_STORE_METRICS_QUERIES_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/sql_states.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

struct MetricsCounts {
  // Every device row (revoked ones too, as in the fleet summary).
  std::map<std::pair<v1::OsFamily, v1::MdeState>, int64_t> devices;
  int64_t runners_online = 0;   // last seen at or after `online_since`
  int64_t runners_offline = 0;  // the others
  std::map<v1::JobState, int64_t> jobs;
  // (job kind, task state) -> tasks; every state of every kind that has a
  // job, zeros included, so a series does not vanish when it reaches 0.
  std::map<std::pair<std::string, v1::TaskState>, int64_t> tasks;
  // Failed step results stored (earlier attempts' included), by step name.
  std::map<std::string, int64_t> step_failures;
  // api_offboard tasks queued, leased or running.
  int64_t api_offboard_queue = 0;
};

// The statements, named so tests can check their query plans.
// Index-only over devices_by_os_mde.
inline constexpr const char* kMetricsDevicesSql =
    "SELECT os_family, mde_state, count(*) FROM devices "
    "GROUP BY os_family, mde_state";
// A range of devices_by_last_seen; ?1 is `online_since`.
inline constexpr const char* kMetricsOnlineSql =
    "SELECT count(*) FROM devices WHERE last_seen_at >= ?1";
// Index-only over jobs_by_state.
inline constexpr const char* kMetricsJobsSql =
    "SELECT state, count(*) FROM jobs GROUP BY state";
// One row per job: the per-state task counters kept on every job row.
inline constexpr const char* kMetricsTasksSql =
    "SELECT kind, sum(queued), sum(leased), sum(running), sum(succeeded), "
    "sum(failed), sum(skipped), sum(cancelled), sum(timed_out), "
    "sum(expired) FROM jobs GROUP BY kind";
// The literal state (not a parameter) lets SQLite use the partial index
// steps_failed_by_name, whose WHERE clause the query must imply.
inline constexpr const char* kMetricsStepFailuresSql =
    "SELECT name, count(*) FROM steps WHERE state = " SQL_STEP_FAILED
    " GROUP BY name";

// `online_since`: last_seen_at bound (microseconds) of an online runner.
[[nodiscard]] absl::StatusOr<MetricsCounts> CountForMetrics(
    Connection& db, int64_t online_since);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_METRICS_QUERIES_H_

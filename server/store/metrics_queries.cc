#include "server/store/metrics_queries.h"

#include <array>

#include "common/api_offboard.h"
#include "common/status_macros.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {
namespace {

// The task states the jobs table keeps a counter for, in column order.
constexpr std::array<v1::TaskState, 9> kCountedStates = {
    v1::TASK_STATE_QUEUED,    v1::TASK_STATE_LEASED,    v1::TASK_STATE_RUNNING,
    v1::TASK_STATE_SUCCEEDED, v1::TASK_STATE_FAILED,    v1::TASK_STATE_SKIPPED,
    v1::TASK_STATE_CANCELLED, v1::TASK_STATE_TIMED_OUT, v1::TASK_STATE_EXPIRED};

[[nodiscard]] absl::Status CountDevices(Connection& db, int64_t online_since,
                                        MetricsCounts& counts) {
  int64_t total = 0;
  {
    ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(kMetricsDevicesSql));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      const int64_t n = st->ColumnInt(2);
      counts.devices[{static_cast<v1::OsFamily>(st->ColumnInt(0)),
                      static_cast<v1::MdeState>(st->ColumnInt(1))}] += n;
      total += n;
    }
  }
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(kMetricsOnlineSql));
  st->Bind(1, online_since);
  ASSIGN_OR_RETURN(bool row, st->Step());
  counts.runners_online = row ? st->ColumnInt(0) : 0;
  counts.runners_offline = total - counts.runners_online;
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CountJobs(Connection& db, MetricsCounts& counts) {
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(kMetricsJobsSql));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    counts.jobs[static_cast<v1::JobState>(st->ColumnInt(0))] +=
        st->ColumnInt(1);
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CountTasks(Connection& db, MetricsCounts& counts) {
  // One row per job however many tasks it has; kCountedStates is the
  // column order.
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(kMetricsTasksSql));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    const std::string kind = st->ColumnText(0);
    for (size_t i = 0; i < kCountedStates.size(); ++i) {
      const int64_t n = st->ColumnInt(static_cast<int>(i) + 1);
      counts.tasks[{kind, kCountedStates[i]}] = n;
      if (kind == kApiOffboardKind && !IsTerminal(kCountedStates[i])) {
        counts.api_offboard_queue += n;
      }
    }
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CountStepFailures(Connection& db,
                                             MetricsCounts& counts) {
  // migrations/0006_metrics_indexes.sql's partial index says state = 4 too
  // (SQL_STEP_FAILED).
  static_assert(v1::STEP_STATE_FAILED == 4);
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(kMetricsStepFailuresSql));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    counts.step_failures[st->ColumnText(0)] += st->ColumnInt(1);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MetricsCounts> CountForMetrics(Connection& db,
                                              int64_t online_since) {
  MetricsCounts counts;
  RETURN_IF_ERROR(CountDevices(db, online_since, counts));
  RETURN_IF_ERROR(CountJobs(db, counts));
  RETURN_IF_ERROR(CountTasks(db, counts));
  RETURN_IF_ERROR(CountStepFailures(db, counts));
  return counts;
}

}  // namespace mdefleet::store

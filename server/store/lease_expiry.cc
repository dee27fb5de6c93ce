#include "server/store/lease_expiry.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/scheduler/lease_rules.h"
#include "server/store/held_lease.h"
#include "server/store/retries.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {

absl::StatusOr<int> ExpireLeases(Connection& db, int64_t now, int limit,
                                 WriteEffects* effects) {
  struct Expired {
    TaskKey task;
    int64_t started_at;
    int64_t task_timeout;
  };
  std::vector<Expired> expired;
  {
    // Two index range scans on tasks (state, lease_expires_at).
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare(
            "SELECT id, job_id, state, attempt, coalesce(started_at, "
            "0) FROM tasks WHERE state = " SQL_TASK_LEASED
            " AND lease_expires_at <= ?1 "
            "UNION ALL SELECT id, job_id, state, attempt, "
            "coalesce(started_at, 0) FROM tasks WHERE state = " SQL_TASK_RUNNING
            " AND "
            "lease_expires_at <= ?1 LIMIT ?2"));
    st->Bind(1, now);
    st->Bind(2, static_cast<int64_t>(limit));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      expired.push_back(
          Expired{TaskKey{st->ColumnText(0), st->ColumnText(1),
                          static_cast<v1::TaskState>(st->ColumnInt(2)),
                          st->ColumnInt(3)},
                  st->ColumnInt(4), 0});
    }
  }
  for (Expired& e : expired) {
    const TaskKey& task = e.task;
    v1::JobState job_state = v1::JOB_STATE_UNSPECIFIED;
    {
      ASSIGN_OR_RETURN(
          CachedStatement st,
          db.Prepare("SELECT state, lease_micros FROM jobs WHERE id = ?1"));
      st->Bind(1, task.job_id);
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (row) {
        job_state = static_cast<v1::JobState>(st->ColumnInt(0));
        e.task_timeout = st->ColumnInt(1);
      }
    }
    if (job_state == v1::JOB_STATE_CANCELLED) {
      RETURN_IF_ERROR(EndTask(db, task,
                              {.to = v1::TASK_STATE_CANCELLED,
                               .message = kCancelledLeaseExpiredMessage,
                               .pending_message = "not run: job cancelled",
                               .running_message = kLeaseExpiredMessage},
                              now, effects));
      continue;
    }
    if (scheduler::TaskTimeoutReached(now, e.started_at, e.task_timeout)) {
      // The runner was alive (heartbeats) but the task ran too long: running
      // it again would most likely hang again.
      const std::string message = absl::StrCat(
          kTaskTimeoutMessage, " (",
          absl::FormatDuration(absl::Microseconds(e.task_timeout)), ")");
      RETURN_IF_ERROR(EndTask(db, task,
                              {.to = v1::TASK_STATE_TIMED_OUT,
                               .message = message,
                               .pending_message = "not run: the task timed out",
                               .running_message = message},
                              now, effects));
      continue;
    }
    // A lost lease is retryable: the runner may come back, or the device
    // restarted.
    ASSIGN_OR_RETURN(std::optional<RetrySlot> retry,
                     AutomaticRetry(db, task, now));
    if (retry.has_value()) {
      RETURN_IF_ERROR(RequeueTask(
          db, task,
          {.automatic = true,
           .not_before = retry->at,
           .message = absl::StrCat("attempt ", task.attempt,
                                   " lost its lease (", kLeaseExpiredMessage,
                                   "); ", scheduler::RetryNote(*retry)),
           .pending_message = "not run: the lease expired; retrying",
           .running_message = kLeaseExpiredMessage},
          now, effects));
      continue;
    }
    RETURN_IF_ERROR(EndTask(db, task,
                            {.to = v1::TASK_STATE_TIMED_OUT,
                             .message = kLeaseExpiredMessage,
                             .pending_message = "not run: the task timed out",
                             .running_message = kLeaseExpiredMessage},
                            now, effects));
  }
  return static_cast<int>(expired.size());
}

absl::StatusOr<int> ExtendLeasesAfterRestart(Connection& db, int64_t now,
                                             absl::Duration lease_duration) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare(
          "UPDATE tasks SET lease_expires_at = CASE WHEN (SELECT "
          "lease_micros FROM jobs WHERE id = tasks.job_id) > 0 AND "
          "coalesce(started_at, 0) + (SELECT lease_micros FROM jobs WHERE id "
          "= tasks.job_id) < ?1 THEN coalesce(started_at, 0) + (SELECT "
          "lease_micros FROM jobs WHERE id = tasks.job_id) ELSE ?1 END WHERE "
          "state IN (" SQL_TASK_LEASED ", " SQL_TASK_RUNNING
          ") AND lease_expires_at < ?1"));
  // ?1 is the new expiry (not now + duration in SQL: one form both SQLite
  // and PostgreSQL type).
  st->Bind(1, now + absl::ToInt64Microseconds(lease_duration));
  RETURN_IF_ERROR(st->Run());
  return static_cast<int>(db.Changes());
}

}  // namespace mdefleet::store

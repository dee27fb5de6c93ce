#include "server/store/lease_expiry.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/retries.h"

namespace mdefleet::store {

absl::StatusOr<int> ExpireLeases(Connection& db, int64_t now, int limit,
                                 WriteEffects* effects) {
  std::vector<TaskKey> expired;
  {
    // Two index range scans on tasks (state, lease_expires_at).
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT id, job_id, state, attempt FROM tasks WHERE state "
                   "= 2 AND lease_expires_at <= ?1 UNION ALL SELECT id, "
                   "job_id, state, attempt FROM tasks WHERE state = 3 AND "
                   "lease_expires_at <= ?1 LIMIT ?2"));
    st->Bind(1, now);
    st->Bind(2, static_cast<int64_t>(limit));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      expired.push_back(TaskKey{st->ColumnText(0), st->ColumnText(1),
                                static_cast<v1::TaskState>(st->ColumnInt(2)),
                                st->ColumnInt(3)});
    }
  }
  for (const TaskKey& task : expired) {
    v1::JobState job_state = v1::JOB_STATE_UNSPECIFIED;
    {
      ASSIGN_OR_RETURN(CachedStatement st,
                       db.Prepare("SELECT state FROM jobs WHERE id = ?1"));
      st->Bind(1, task.job_id);
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (row) job_state = static_cast<v1::JobState>(st->ColumnInt(0));
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
    // A lost lease is retryable: the runner may come back, or the device
    // restarted.
    ASSIGN_OR_RETURN(std::optional<RetrySlot> retry,
                     AutomaticRetry(db, task, now));
    if (retry.has_value()) {
      RETURN_IF_ERROR(RequeueTask(
          db, task,
          {.automatic = true,
           .not_before = retry->at,
           .message =
               absl::StrCat("attempt ", task.attempt, " lost its lease (",
                            kLeaseExpiredMessage, "); ", RetryNote(*retry)),
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

}  // namespace mdefleet::store

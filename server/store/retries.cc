#include "server/store/retries.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {

absl::StatusOr<std::optional<RetrySlot>> AutomaticRetry(Connection& db,
                                                        const TaskKey& task,
                                                        int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT j.state, j.retries, j.retry_backoff_micros, "
                 "j.deadline_at, t.retries_used FROM tasks t JOIN jobs j ON "
                 "j.id = t.job_id WHERE t.id = ?1"));
  st->Bind(1, task.id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  scheduler::RetryInputs in;
  in.job_state = static_cast<v1::JobState>(st->ColumnInt(0));
  in.retries = st->ColumnInt(1);
  in.retry_backoff_micros = st->ColumnInt(2);
  in.deadline_at = st->ColumnOptionalInt(3);
  in.retries_used = st->ColumnInt(4);
  return scheduler::NextAutomaticRetry(in, now);
}

absl::Status RequeueTask(Connection& db, const TaskKey& task,
                         const RequeueOptions& options, int64_t now,
                         WriteEffects* effects) {
  if (!options.running_message.empty()) {
    RETURN_IF_ERROR(FailRunningSteps(db, task, options.running_message, now));
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare(
            "UPDATE steps SET state = CASE state WHEN " SQL_STEP_PENDING
            " THEN " SQL_STEP_SKIPPED
            " ELSE state END, message = CASE state WHEN " SQL_STEP_PENDING
            " THEN ?3 ELSE "
            "message END, superseded = 1 WHERE task_id = ?1 AND "
            "attempt = ?2"));
    st->Bind(1, task.id);
    st->Bind(2, task.attempt);
    st->Bind(3, options.pending_message);
    RETURN_IF_ERROR(st->Run());
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("INSERT INTO steps (task_id, job_id, attempt, idx, name, "
                   "state) SELECT task_id, job_id, ?3, idx, name, 1 FROM "
                   "steps WHERE task_id = ?1 AND attempt = ?2"));
    st->Bind(1, task.id);
    st->Bind(2, task.attempt);
    st->Bind(3, task.attempt + 1);
    RETURN_IF_ERROR(st->Run());
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE tasks SET state = " SQL_TASK_QUEUED
                   ", attempt = attempt + 1, "
                   "lease_id = NULL, lease_expires_at = NULL, not_before = "
                   "?2, message = ?3, started_at = NULL, finished_at = NULL, "
                   "retries_used = CASE WHEN ?4 <> 0 THEN retries_used + 1 "
                   "ELSE 0 END, wave = CASE WHEN ?4 <> 0 THEN wave ELSE NULL "
                   "END WHERE id = ?1"));
    st->Bind(1, task.id);
    st->Bind(2, options.not_before);
    st->Bind(3, options.message);
    st->Bind(4, int64_t{options.automatic ? 1 : 0});
    RETURN_IF_ERROR(st->Run());
  }
  RETURN_IF_ERROR(
      MoveTaskCounter(db, task.job_id, task.state, v1::TASK_STATE_QUEUED));
  effects->changed_jobs.insert(task.job_id);
  if (task.state == v1::TASK_STATE_LEASED ||
      task.state == v1::TASK_STATE_RUNNING) {
    effects->freed_slots[task.job_id] += 1;  // its max_in_flight slot
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::store

#include "server/store/defender_confirmations.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/api_offboard.h"
#include "common/plan/plan.h"
#include "common/status_macros.h"
#include "mdefleet/v1/plan.pb.h"
#include "server/store/api_tasks.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {
absl::StatusOr<bool> HandOverToServer(Connection& db, const TaskKey& task,
                                      uint32_t step_index, int64_t now,
                                      WriteEffects* effects) {
  v1::Plan plan;
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT p.plan FROM task_plans tp JOIN plans p ON "
                   "p.id = tp.plan_id WHERE tp.task_id = ?1"));
    st->Bind(1, task.id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row || !plan.ParseFromString(st->ColumnBlob(0))) {
      return absl::DataLossError(
          absl::StrCat("task ", task.id, ": unreadable plan"));
    }
  }
  const int next = static_cast<int>(step_index) + 1;
  if (next >= plan.steps_size() || !IsServerExecutedStep(plan.steps(next))) {
    return false;
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE tasks SET lease_expires_at = NULL WHERE id = ?1"));
    st->Bind(1, task.id);
    RETURN_IF_ERROR(st->Run());
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE steps SET state = ?4, started_at = ?5, message = "
                   "?6 WHERE task_id = ?1 AND attempt = ?2 AND idx = ?3"));
    st->Bind(1, task.id);
    st->Bind(2, task.attempt);
    st->Bind(3, static_cast<int64_t>(next));
    st->Bind(4, static_cast<int64_t>(v1::STEP_STATE_RUNNING));
    st->Bind(5, now);
    st->Bind(6,
             "the runner's steps succeeded; the server now asks Defender "
             "whether it lists the device Active");
    RETURN_IF_ERROR(st->Run());
  }
  effects->changed_jobs.insert(task.job_id);
  return true;
}

absl::StatusOr<std::vector<ConfirmTask>> ListConfirmTasks(Connection& db) {
  // Handed-over tasks are the RUNNING ones without a lease expiry that are
  // not api_offboard's (tasks (state, lease_expires_at) is indexed).
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare(
          "SELECT t.id, t.job_id, t.attempt, d.hostname, d.facts, "
          "coalesce(t.started_at, 0), coalesce(s.started_at, 0), "
          "j.lease_micros, s.idx, s.message, j.state FROM tasks t JOIN jobs j "
          "ON j.id = t.job_id JOIN devices d ON d.id = t.device_id JOIN steps "
          "s ON s.task_id = t.id AND s.attempt = t.attempt AND s.name = ?1 "
          "AND s.state = " SQL_STEP_RUNNING " WHERE t.state = " SQL_TASK_RUNNING
          " AND t.lease_expires_at IS NULL "
          "AND j.kind != 'api_offboard' ORDER BY s.started_at, t.id"));
  st->Bind(1, kConfirmInDefenderStep);
  std::vector<ConfirmTask> tasks;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ConfirmTask t;
    t.task_id = st->ColumnText(0);
    t.job_id = st->ColumnText(1);
    t.attempt = st->ColumnInt(2);
    t.hostname = st->ColumnText(3);
    v1::DeviceFacts facts;
    if (facts.ParseFromString(st->ColumnBlob(4))) {
      t.machine_id = facts.mde_machine_id();
    }
    t.started_at = st->ColumnInt(5);
    t.handed_over = st->ColumnInt(6);
    t.task_timeout = st->ColumnInt(7);
    t.step = static_cast<int>(st->ColumnInt(8));
    t.step_message = st->ColumnText(9);
    t.job_state = static_cast<v1::JobState>(st->ColumnInt(10));
    tasks.push_back(std::move(t));
  }
  return tasks;
}

absl::StatusOr<std::string> ConfirmMachineId(Connection& db,
                                             absl::string_view task_id) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT d.facts FROM tasks t JOIN devices d ON "
                              "d.id = t.device_id WHERE t.id = ?1"));
  st->Bind(1, task_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  v1::DeviceFacts facts;
  if (!row || !facts.ParseFromString(st->ColumnBlob(0))) return std::string();
  return facts.mde_machine_id();
}

absl::Status SetConfirmStep(Connection& db, const ConfirmTask& task,
                            v1::StepState state, absl::string_view message,
                            int64_t now) {
  return SetServerStep(db, task.task_id, task.attempt,
                       static_cast<int>(task.step), state, message, now);
}

absl::Status EndConfirmTask(Connection& db, const ConfirmTask& task,
                            v1::StepState step_state,
                            absl::string_view step_message, v1::TaskState to,
                            absl::string_view message, int64_t now,
                            WriteEffects* effects) {
  RETURN_IF_ERROR(SetConfirmStep(db, task, step_state, step_message, now));
  return EndTask(db, task.key(),
                 {.to = to,
                  .message = std::string(message),
                  .pending_message = "not run: the task ended",
                  .running_message = {}},
                 now, effects);
}

}  // namespace mdefleet::store

#include "server/store/api_tasks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/api_offboard.h"
#include "common/plan/plan.h"
#include "common/status_macros.h"
#include "server/store/planning.h"
#include "server/store/rollout.h"
#include "server/store/sql_states.h"
#include "server/store/task_plans.h"

namespace mdefleet::store {
namespace {

// The rollout's conditions for starting a queued task of job j now (as in
// lease.cc, without maintenance windows: they are the device's local time,
// and the server does this work, not the device).
#define MDEFLEET_STARTABLE                                                   \
  "t.state = " SQL_TASK_QUEUED                                               \
  " AND t.not_before <= ?1 AND j.state IN (" SQL_JOB_PENDING                 \
  ", " SQL_JOB_RUNNING                                                       \
  ") AND "                                                                   \
  "(j.max_in_flight = 0 OR j.leased + j.running < j.max_in_flight) AND "     \
  "j.wave_opens_at <= ?1 AND (j.deadline_at IS NULL OR j.deadline_at > ?1) " \
  "AND (t.wave = j.wave OR (j.wave = 0 AND j.wave_leased < j.canary) OR "    \
  "(j.wave > 0 AND (j.wave_size = 0 OR j.wave_leased < j.wave_size)))"

bool IsFinal(v1::StepState s) {
  return s == v1::STEP_STATE_SUCCEEDED || s == v1::STEP_STATE_FAILED ||
         s == v1::STEP_STATE_SKIPPED;
}

}  // namespace

absl::StatusOr<std::vector<StartableApiTask>> ListStartableApiTasks(
    Connection& db, int64_t now, int64_t limit) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare(
          "SELECT t.id, t.job_id, CASE WHEN j.max_in_flight = 0 THEN -1 "
          "ELSE j.max_in_flight - j.leased - j.running END, CASE WHEN j.wave "
          "= 0 THEN j.canary - j.wave_leased WHEN j.wave_size = 0 THEN -1 "
          "ELSE j.wave_size - j.wave_leased END FROM jobs j JOIN tasks t ON "
          "t.job_id = j.id AND t.state "
          "= " SQL_TASK_QUEUED " "
          "WHERE j.kind = 'api_offboard' AND " MDEFLEET_STARTABLE
          " ORDER BY j.rowid, t.rowid LIMIT ?2"));
  st->Bind(1, now);
  st->Bind(2, limit);
  std::vector<StartableApiTask> tasks;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    // The smaller limit that applies (-1 means none): the in-flight room
    // and the wave's.
    const int64_t in_flight = st->ColumnInt(2), wave = st->ColumnInt(3);
    const int64_t a = std::min(in_flight, wave), b = std::max(in_flight, wave);
    const int64_t room = a >= 0 ? a : b;
    tasks.push_back({st->ColumnText(0), st->ColumnText(1), room});
  }
  return tasks;
}

absl::StatusOr<std::optional<ApiTask>> StartApiTask(Connection& db,
                                                    absl::string_view task_id,
                                                    int64_t now,
                                                    WriteEffects* effects) {
  ApiTask task;
  v1::JobSpec spec;
  v1::DeviceFacts facts;
  v1::JobState job_state;
  bool counted = false;
  int64_t wave = 0;
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare(
            "SELECT t.job_id, t.attempt, j.spec, j.state, CASE WHEN t.wave = "
            "j.wave THEN 1 ELSE 0 END, j.wave, j.lease_micros, d.facts, "
            "d.hostname FROM "
            "tasks t JOIN jobs j ON j.id = t.job_id JOIN devices d ON d.id = "
            "t.device_id WHERE t.id = ?2 AND j.kind = 'api_offboard' "
            "AND " MDEFLEET_STARTABLE));
    st->Bind(1, now);
    st->Bind(2, task_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return std::nullopt;
    task.task_id = std::string(task_id);
    task.job_id = st->ColumnText(0);
    task.attempt = st->ColumnInt(1);
    if (!spec.ParseFromString(st->ColumnBlob(2)) ||
        !facts.ParseFromString(st->ColumnBlob(7))) {
      return absl::DataLossError(
          absl::StrCat("task ", task_id, ": unreadable job spec or facts"));
    }
    job_state = static_cast<v1::JobState>(st->ColumnInt(3));
    counted = st->ColumnInt(4) != 0;
    wave = st->ColumnInt(5);
    task.task_timeout = st->ColumnInt(6);
    task.hostname = st->ColumnText(8);
  }
  task.comment = spec.parameters().comment();
  task.machine_id = facts.mde_machine_id();
  task.started_at = now;
  task.requested_at = now;
  task.job_state = v1::JOB_STATE_RUNNING;

  absl::StatusOr<v1::Plan> plan = [&]() -> absl::StatusOr<v1::Plan> {
    ASSIGN_OR_RETURN(PlanInputs inputs, PlanInputsForSpec(db, spec));
    return BuildPlan(inputs, facts);
  }();
  const TaskKey queued{task.task_id, task.job_id, v1::TASK_STATE_QUEUED,
                       task.attempt};
  if (!plan.ok()) {
    RETURN_IF_ERROR(
        EndTask(db, queued,
                {.to = v1::TASK_STATE_FAILED,
                 .message = std::string(plan.status().message()),
                 .pending_message = "not run: the device cannot run this job",
                 .running_message = {}},
                now, effects));
    return std::nullopt;
  }
  if (plan->steps_size() > 0 && plan->steps(0).action().has_skip()) {
    const std::string& reason = plan->steps(0).action().skip().reason();
    RETURN_IF_ERROR(ReplaceAttemptSteps(db, task.task_id, task.job_id,
                                        task.attempt, *plan));
    RETURN_IF_ERROR(EndTask(db, queued,
                            {.to = v1::TASK_STATE_SKIPPED,
                             .message = reason,
                             .pending_message = reason,
                             .running_message = {}},
                            now, effects));
    return std::nullopt;
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE tasks SET state = " SQL_TASK_RUNNING
                   ", lease_id = NULL, "
                   "lease_expires_at = NULL, started_at = ?2, wave = ?3, "
                   "message = '' WHERE id = ?1"));
    st->Bind(1, task.task_id);
    st->Bind(2, now);
    st->Bind(3, wave);
    RETURN_IF_ERROR(st->Run());
    RETURN_IF_ERROR(SetTaskPlan(db, task.task_id, *plan).status());
  }
  RETURN_IF_ERROR(
      ReplaceAttemptSteps(db, task.task_id, task.job_id, task.attempt, *plan));
  task.steps = plan->steps_size();
  RETURN_IF_ERROR(MoveTaskCounter(db, task.job_id, v1::TASK_STATE_QUEUED,
                                  v1::TASK_STATE_RUNNING));
  RETURN_IF_ERROR(OnTaskLeased(db, task.job_id, counted));
  if (job_state == v1::JOB_STATE_PENDING) {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("UPDATE jobs SET state = " SQL_JOB_RUNNING
                                " WHERE id = ?1"));
    st->Bind(1, task.job_id);
    RETURN_IF_ERROR(st->Run());
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("INSERT INTO defender_actions (task_id, attempt, "
                   "machine_id, requested_at) VALUES (?1, ?2, ?3, ?4) ON "
                   "CONFLICT (task_id, attempt) DO UPDATE SET machine_id = "
                   "excluded.machine_id, requested_at = excluded.requested_at, "
                   "action_id = NULL, action_status = ''"));
    st->Bind(1, task.task_id);
    st->Bind(2, task.attempt);
    st->Bind(3, task.machine_id);
    st->Bind(4, now);
    RETURN_IF_ERROR(st->Run());
  }
  RETURN_IF_ERROR(SetApiStep(db, task, 0, v1::STEP_STATE_RUNNING,
                             "requesting the offboarding", now));
  effects->changed_jobs.insert(task.job_id);
  return task;
}

absl::StatusOr<std::vector<ApiTask>> ListRunningApiTasks(Connection& db) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare(
          "SELECT t.id, t.job_id, t.attempt, coalesce(t.started_at, 0), "
          "j.lease_micros, j.state, j.spec, d.hostname, coalesce(a.machine_id, "
          "''), coalesce(a.requested_at, 0), coalesce(a.action_id, ''), "
          "coalesce(a.action_status, ''), (SELECT coalesce(min(s.idx), 0) "
          "FROM steps s WHERE s.task_id = t.id AND s.attempt = t.attempt AND "
          "s.state IN (" SQL_STEP_PENDING ", " SQL_STEP_RUNNING
          ")), (SELECT count(*) FROM steps s WHERE s.task_id "
          "= t.id AND s.attempt = t.attempt), (SELECT coalesce(max("
          "s.started_at), 0) FROM steps s WHERE s.task_id = t.id AND "
          "s.attempt = t.attempt AND s.idx = 2) FROM jobs j JOIN tasks t ON "
          "t.job_id = j.id AND "
          "t.state = " SQL_TASK_RUNNING
          " JOIN devices d ON d.id = t.device_id LEFT JOIN "
          "defender_actions a ON a.task_id = t.id AND a.attempt = t.attempt "
          "WHERE j.kind = 'api_offboard' ORDER BY t.started_at"));
  std::vector<ApiTask> tasks;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ApiTask t;
    t.task_id = st->ColumnText(0);
    t.job_id = st->ColumnText(1);
    t.attempt = st->ColumnInt(2);
    t.started_at = st->ColumnInt(3);
    t.task_timeout = st->ColumnInt(4);
    t.job_state = static_cast<v1::JobState>(st->ColumnInt(5));
    v1::JobSpec spec;
    if (!spec.ParseFromString(st->ColumnBlob(6))) {
      return absl::DataLossError(absl::StrCat("job ", t.job_id, ": bad spec"));
    }
    t.comment = spec.parameters().comment();
    t.hostname = st->ColumnText(7);
    t.machine_id = st->ColumnText(8);
    t.requested_at = st->ColumnInt(9);
    t.action_id = st->ColumnText(10);
    t.action_status = st->ColumnText(11);
    t.step = static_cast<int>(st->ColumnInt(12));
    t.steps = static_cast<int>(st->ColumnInt(13));
    t.confirm_since = st->ColumnInt(14);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

absl::Status SetApiStep(Connection& db, const ApiTask& task, int index,
                        v1::StepState state, absl::string_view message,
                        int64_t now) {
  return SetServerStep(db, task.task_id, task.attempt, index, state, message,
                       now);
}

absl::Status SetServerStep(Connection& db, absl::string_view task_id,
                           int64_t attempt, int index, v1::StepState state,
                           absl::string_view message, int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE steps SET state = ?4, message = ?5, started_at = "
                 "coalesce(started_at, ?6), finished_at = ?7 WHERE task_id = "
                 "?1 AND attempt = ?2 AND idx = ?3"));
  st->Bind(1, task_id);
  st->Bind(2, attempt);
  st->Bind(3, static_cast<int64_t>(index));
  st->Bind(4, static_cast<int64_t>(state));
  st->Bind(5, message);
  st->Bind(6, now);
  st->Bind(7, IsFinal(state) ? std::optional<int64_t>(now) : std::nullopt);
  return st->Run();
}

absl::Status RecordMachineAction(Connection& db, const ApiTask& task,
                                 absl::string_view action_id,
                                 absl::string_view status) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE defender_actions SET action_id = ?3, action_status = "
                 "?4 WHERE task_id = ?1 AND attempt = ?2"));
  st->Bind(1, task.task_id);
  st->Bind(2, task.attempt);
  st->Bind(3, action_id);
  st->Bind(4, status);
  return st->Run();
}

absl::Status SetRequestedAt(Connection& db, const ApiTask& task,
                            int64_t requested_at) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE defender_actions SET requested_at = ?3 WHERE "
                 "task_id = ?1 AND attempt = ?2"));
  st->Bind(1, task.task_id);
  st->Bind(2, task.attempt);
  st->Bind(3, requested_at);
  return st->Run();
}

absl::StatusOr<int64_t> InsertApiCall(Connection& db, int64_t at) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare(
          "INSERT INTO defender_api_calls (at) VALUES (?1) RETURNING id"));
  st->Bind(1, at);
  ASSIGN_OR_RETURN(const bool row, st->Step());
  if (!row) return absl::InternalError("defender_api_calls: no id returned");
  return st->ColumnInt(0);
}

absl::Status MoveApiCall(Connection& db, int64_t id, int64_t at) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE defender_api_calls SET at = ?2 WHERE id = ?1"));
  st->Bind(1, id);
  st->Bind(2, at);
  return st->Run();
}

absl::StatusOr<std::vector<int64_t>> LoadApiCalls(Connection& db,
                                                  int64_t since) {
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("DELETE FROM defender_api_calls WHERE at < ?1"));
    st->Bind(1, since);
    RETURN_IF_ERROR(st->Run());
  }
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT at FROM defender_api_calls ORDER BY at"));
  std::vector<int64_t> calls;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    calls.push_back(st->ColumnInt(0));
  }
  return calls;
}

absl::Status SetQueuedTaskMessage(Connection& db, absl::string_view task_id,
                                  absl::string_view message) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("UPDATE tasks SET message = ?2 WHERE id = ?1 AND "
                              "state = " SQL_TASK_QUEUED));
  st->Bind(1, task_id);
  st->Bind(2, message);
  return st->Run();
}

absl::Status SetJobApiWaiting(Connection& db, absl::string_view job_id,
                              int64_t count) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE jobs SET api_waiting = ?2 WHERE id = ?1"));
  st->Bind(1, job_id);
  st->Bind(2, count);
  return st->Run();
}

absl::Status ClearApiWaiting(Connection& db, absl::string_view message_prefix) {
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare(
            "UPDATE tasks SET message = '' WHERE state = " SQL_TASK_QUEUED
            " AND "
            "substr(message, 1, length(?1)) = ?1"));
    st->Bind(1, message_prefix);
    RETURN_IF_ERROR(st->Run());
  }
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE jobs SET api_waiting = 0 WHERE api_waiting > 0"));
  return st->Run();
}

#undef MDEFLEET_STARTABLE

}  // namespace mdefleet::store

#include "server/store/lease.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/planning.h"
#include "server/store/rollout.h"
#include "server/store/sql_states.h"
#include "server/store/task_plans.h"

namespace mdefleet::store {
namespace {

// The steps stored for the candidate's attempt.
[[nodiscard]] absl::StatusOr<int64_t> CountSteps(
    Connection& db, const scheduler::QueuedTask& c) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT count(*) FROM steps WHERE task_id = ?1 "
                              "AND attempt = ?2"));
  st->Bind(1, c.task_id);
  st->Bind(2, c.attempt);
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

}  // namespace

// The device's live leases, found from its tasks. `hint` pins SQLite's plan
// to tasks_by_device_state (PostgreSQL's planner picks it by itself).
#define MDF_LIVE_LEASE_OF_DEVICE(hint)                                         \
  "SELECT 1 FROM tasks " hint                                                  \
  " WHERE device_id = ?1 AND state IN (" SQL_TASK_LEASED ", " SQL_TASK_RUNNING \
  ") AND lease_expires_at > ?2 LIMIT 1"

absl::StatusOr<bool> SqliteLeaseStore::HoldsLiveLease(
    absl::string_view device_id, int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db_.Prepare(SqlFor(
          db_, MDF_LIVE_LEASE_OF_DEVICE("INDEXED BY tasks_by_device_state"),
          MDF_LIVE_LEASE_OF_DEVICE(""))));
  st->Bind(1, device_id);
  st->Bind(2, now);
  return st->Step();
}

// Found from the device's tasks: left to itself, SQLite reads every live
// lease of the fleet (tasks_by_state_lease) on every poll, which made
// polling quadratic in a fleet-wide job (1.3 ms a poll at 10,000 devices).
#define MDF_OLDEST_LIVE_LEASE(hint)                                          \
  "SELECT t.id, t.job_id, t.attempt, t.lease_id, p.plan, j.kind, j.state, "  \
  "t.state, j.lease_micros, coalesce(t.started_at, 0) FROM tasks t " hint    \
  " JOIN jobs j ON j.id = t.job_id JOIN task_plans tp ON tp.task_id = t.id " \
  "JOIN plans p ON p.id = tp.plan_id WHERE t.device_id = ?1 AND t.state "    \
  "IN (" SQL_TASK_LEASED ", " SQL_TASK_RUNNING                               \
  ") AND t.lease_expires_at > ?2 ORDER BY t.created_at LIMIT 1"

absl::StatusOr<std::optional<scheduler::HeldTask>>
SqliteLeaseStore::OldestLiveLease(absl::string_view device_id, int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db_.Prepare(
          SqlFor(db_, MDF_OLDEST_LIVE_LEASE("INDEXED BY tasks_by_device_state"),
                 MDF_OLDEST_LIVE_LEASE(""))));
  st->Bind(1, device_id);
  st->Bind(2, now);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  scheduler::HeldTask held;
  held.task_id = st->ColumnText(0);
  held.job_id = st->ColumnText(1);
  held.attempt = st->ColumnInt(2);
  held.lease_id = st->ColumnText(3);
  if (!held.plan.ParseFromString(st->ColumnBlob(4))) {
    return absl::DataLossError(
        absl::StrCat("task ", held.task_id, ": unreadable plan"));
  }
  held.kind = st->ColumnText(5);
  held.job_state = static_cast<v1::JobState>(st->ColumnInt(6));
  held.task_state = static_cast<v1::TaskState>(st->ColumnInt(7));
  held.task_timeout_micros = st->ColumnInt(8);
  held.started_at = st->ColumnInt(9);
  return held;
}

absl::Status SqliteLeaseStore::CancelHeldTask(const scheduler::HeldTask& task,
                                              int64_t now) {
  const TaskKey key{task.task_id, task.job_id, task.task_state, task.attempt};
  return EndTask(db_, key,
                 {.to = v1::TASK_STATE_CANCELLED,
                  .message = "job cancelled",
                  .pending_message = "not run: job cancelled",
                  .running_message = "job cancelled"},
                 now, effects_);
}

absl::Status SqliteLeaseStore::RenewLease(absl::string_view task_id,
                                          int64_t expires_at) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db_.Prepare("UPDATE tasks SET lease_expires_at = ?2 WHERE id = ?1"));
  st->Bind(1, task_id);
  st->Bind(2, expires_at);
  return st->Run();
}

absl::StatusOr<v1::RolloutPolicy> SqliteLeaseStore::JobPolicy(
    absl::string_view job_id) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db_.Prepare("SELECT spec FROM jobs WHERE id = ?1"));
  st->Bind(1, job_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return v1::RolloutPolicy();
  v1::JobSpec spec;
  if (!spec.ParseFromString(st->ColumnBlob(0))) {
    return absl::DataLossError(absl::StrCat("job ", job_id, ": bad spec"));
  }
  return spec.policy();
}

absl::StatusOr<int64_t> SqliteLeaseStore::FleetTasksInFlight() {
  return store::FleetTasksInFlight(db_);
}

// The job is PENDING/RUNNING, its deadline has not passed, max_in_flight has
// room, its current wave is open and has a slot left (or the task already
// holds one), and the task's retry backoff is over. One index range on tasks
// (device_id, state) and a read of each candidate's job by its unique id.
// Tasks of server-executed kinds (api_offboard: server/store/api_tasks.h) are
// never leased to a device.
absl::StatusOr<std::optional<scheduler::QueuedTask>>
SqliteLeaseStore::FirstLeasableTask(
    absl::string_view device_id, int64_t now,
    absl::FunctionRef<bool(const scheduler::QueuedTask&)> may_start) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db_.Prepare(
          "SELECT t.id, t.job_id, t.attempt, j.spec, j.state, "
          "CASE WHEN t.wave = j.wave THEN 1 ELSE 0 END, j.wave, j.lease_micros "
          "FROM tasks t "
          "JOIN jobs j ON j.id = t.job_id WHERE t.device_id = ?1 AND t.state "
          "= " SQL_TASK_QUEUED
          " AND t.not_before <= ?2 AND j.state IN (" SQL_JOB_PENDING
          ", " SQL_JOB_RUNNING ") AND j.kind != "
          "'api_offboard' AND "
          "(j.max_in_flight = 0 OR j.leased + j.running < j.max_in_flight) "
          "AND j.wave_opens_at <= ?2 AND (j.deadline_at IS NULL OR "
          "j.deadline_at > ?2) AND (t.wave = j.wave OR (j.wave = 0 AND "
          "j.wave_leased < j.canary) OR (j.wave > 0 AND (j.wave_size = 0 OR "
          "j.wave_leased < j.wave_size))) ORDER BY j.rowid"));
  st->Bind(1, device_id);
  st->Bind(2, now);
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return std::nullopt;
    scheduler::QueuedTask c;
    c.task_id = st->ColumnText(0);
    c.job_id = st->ColumnText(1);
    c.attempt = st->ColumnInt(2);
    if (!c.spec.ParseFromString(st->ColumnBlob(3))) {
      return absl::DataLossError(absl::StrCat("job ", c.job_id, ": bad spec"));
    }
    c.job_state = static_cast<v1::JobState>(st->ColumnInt(4));
    c.counted = st->ColumnInt(5) != 0;
    c.wave = st->ColumnInt(6);
    c.task_timeout_micros = st->ColumnInt(7);
    if (may_start(c)) return c;
  }
}

absl::StatusOr<PlanInputs> SqliteLeaseStore::PlanInputsFor(
    const v1::JobSpec& spec) {
  return PlanInputsForSpec(db_, spec);
}

absl::Status SqliteLeaseStore::FailUnplannable(
    const scheduler::QueuedTask& task, absl::string_view message, int64_t now) {
  const TaskKey key{task.task_id, task.job_id, v1::TASK_STATE_QUEUED,
                    task.attempt};
  return EndTask(db_, key,
                 {.to = v1::TASK_STATE_FAILED,
                  .message = std::string(message),
                  .pending_message = "not run: the device cannot run this job",
                  .running_message = {}},
                 now, effects_);
}

absl::Status SqliteLeaseStore::RecordLease(const scheduler::QueuedTask& task,
                                           const scheduler::NewLease& lease) {
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db_.Prepare("UPDATE tasks SET state = " SQL_TASK_LEASED
                    ", lease_id = ?2, lease_expires_at = ?3, started_at = ?4, "
                    "wave = ?5 WHERE id = ?1"));
    st->Bind(1, task.task_id);
    st->Bind(2, lease.lease_id);
    st->Bind(3, lease.expires_at);
    st->Bind(4, lease.now);
    st->Bind(5, task.wave);
    RETURN_IF_ERROR(st->Run());
  }
  // The plan built at submit (or at the last lease) is usually the same: its
  // steps of this attempt are then already there.
  ASSIGN_OR_RETURN(const bool plan_changed,
                   SetTaskPlan(db_, task.task_id, lease.plan));
  ASSIGN_OR_RETURN(const int64_t steps, CountSteps(db_, task));
  if (plan_changed || steps != lease.plan.steps_size()) {
    RETURN_IF_ERROR(ReplaceAttemptSteps(db_, task.task_id, task.job_id,
                                        task.attempt, lease.plan));
  }
  RETURN_IF_ERROR(MoveTaskCounter(db_, task.job_id, v1::TASK_STATE_QUEUED,
                                  v1::TASK_STATE_LEASED));
  RETURN_IF_ERROR(OnTaskLeased(db_, task.job_id, task.counted));
  if (task.job_state == v1::JOB_STATE_PENDING) {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db_.Prepare("UPDATE jobs SET state = " SQL_JOB_RUNNING
                                 " WHERE id = ?1"));
    st->Bind(1, task.job_id);
    RETURN_IF_ERROR(st->Run());
  }
  effects_->changed_jobs.insert(task.job_id);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FleetTasksInFlight(Connection& db) {
  // Cancelled jobs too: their running tasks finish the step they are on.
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT coalesce(sum(leased + running), 0) FROM jobs WHERE "
                 "state IN (" SQL_JOB_PENDING ", " SQL_JOB_RUNNING
                 ", " SQL_JOB_PAUSED ", " SQL_JOB_CANCELLED
                 ") AND kind != 'api_offboard'"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

absl::StatusOr<std::optional<TaskLeaseRecord>> ReadTaskLease(
    Connection& db, absl::string_view task_id) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT device_id, state, coalesce(lease_id, ''), "
                 "coalesce(lease_expires_at, 0), (SELECT p.plan FROM "
                 "task_plans tp JOIN plans p ON p.id = tp.plan_id WHERE "
                 "tp.task_id = tasks.id) FROM tasks WHERE id = ?1"));
  st->Bind(1, task_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  return TaskLeaseRecord{.device_id = st->ColumnText(0),
                         .state = static_cast<v1::TaskState>(st->ColumnInt(1)),
                         .lease_id = st->ColumnText(2),
                         .lease_expires_at = st->ColumnInt(3),
                         .plan = st->ColumnBlob(4)};
}

}  // namespace mdefleet::store

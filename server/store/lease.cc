#include "server/store/lease.h"

#include "absl/strings/str_cat.h"
#include "common/plan/plan.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "server/store/held_lease.h"
#include "server/store/maintenance_lease.h"
#include "server/store/planning.h"
#include "server/store/rollout.h"
#include "server/store/sql_states.h"
#include "server/store/task_plans.h"

namespace mdefleet::store {
namespace {

constexpr int kMaxPlanFailuresPerPoll = 64;

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  out->set_seconds(absl::ToInt64Seconds(d));
  out->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(d - absl::Seconds(out->seconds()))));
}

// A held, live lease of this device, renewed; nullopt when there is none.
// Found from the device's tasks: left to itself, SQLite reads every live
// lease of the fleet (tasks_by_state_lease) on every poll, which made
// polling quadratic in a fleet-wide job (1.3 ms a poll at 10,000 devices).
[[nodiscard]] absl::StatusOr<std::optional<v1::LeasedTask>> Redeliver(
    Connection& db, absl::string_view device_id, int64_t now,
    absl::Duration server_lease, WriteEffects* effects) {
  while (true) {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare(
            "SELECT t.id, t.job_id, t.attempt, t.lease_id, p.plan, "
            "j.kind, j.state, t.state, j.lease_micros, coalesce(t.started_at, "
            "0) FROM tasks t INDEXED BY tasks_by_device_state JOIN jobs j ON "
            "j.id = t.job_id JOIN task_plans tp ON tp.task_id = t.id JOIN "
            "plans p ON p.id = tp.plan_id WHERE "
            "t.device_id "
            "= ?1 AND t.state IN (" SQL_TASK_LEASED ", " SQL_TASK_RUNNING
            ") AND t.lease_expires_at > ?2 ORDER BY "
            "t.created_at LIMIT 1"));
    st->Bind(1, device_id);
    st->Bind(2, now);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return std::nullopt;
    v1::LeasedTask task;
    task.set_task_id(st->ColumnText(0));
    task.set_job_id(st->ColumnText(1));
    task.set_attempt(static_cast<uint32_t>(st->ColumnInt(2)));
    task.set_lease_id(st->ColumnText(3));
    if (!task.mutable_plan()->ParseFromString(st->ColumnBlob(4))) {
      return absl::DataLossError(
          absl::StrCat("task ", task.task_id(), ": unreadable plan"));
    }
    // Steps the server runs itself (confirm_in_defender) stay with it.
    *task.mutable_plan() = RunnerPart(std::move(*task.mutable_plan()));
    task.set_kind(st->ColumnText(5));
    const auto job_state = static_cast<v1::JobState>(st->ColumnInt(6));
    const auto task_state = static_cast<v1::TaskState>(st->ColumnInt(7));
    const int64_t task_timeout = st->ColumnInt(8);
    const int64_t started_at = st->ColumnInt(9);
    st->Reset();
    if (job_state == v1::JOB_STATE_CANCELLED) {
      // The device is asking for work, so it is not running this task.
      TaskKey key{task.task_id(), task.job_id(), task_state, task.attempt()};
      RETURN_IF_ERROR(EndTask(db, key,
                              {.to = v1::TASK_STATE_CANCELLED,
                               .message = "job cancelled",
                               .pending_message = "not run: job cancelled",
                               .running_message = "job cancelled"},
                              now, effects));
      continue;
    }
    ASSIGN_OR_RETURN(CachedStatement renew,
                     db.Prepare("UPDATE tasks SET lease_expires_at = ?2 "
                                "WHERE id = ?1"));
    renew->Bind(1, task.task_id());
    renew->Bind(
        2, RenewedLeaseExpiry(now, server_lease, started_at, task_timeout));
    RETURN_IF_ERROR(renew->Run());
    SetDuration(server_lease, task.mutable_lease_duration());
    return task;
  }
}

struct Candidate {
  std::string task_id;
  std::string job_id;
  int64_t attempt;
  v1::JobSpec spec;
  v1::JobState job_state;
  bool counted;  // already counts in the job's current wave (a retry)
  int64_t wave;  // the job's current wave
  int64_t lease_micros;
};

// The device's next queued task that its job lets it lease now: the job is
// PENDING/RUNNING, its deadline has not passed, max_in_flight has room, its
// current wave is open and has a slot left (or the task already holds one),
// and the task's retry backoff is over. One index range on tasks
// (device_id, state) and a read of each candidate's job by its unique id.
// Candidates whose job lets tasks start only in a maintenance window that is
// closed in the device's local time are passed over
// (InMaintenanceWindowForLease). Tasks of server-executed kinds
// (api_offboard: server/store/api_tasks.h) are never leased to a device.
[[nodiscard]] absl::StatusOr<std::optional<Candidate>> NextQueued(
    Connection& db, absl::string_view device_id, const v1::DeviceFacts& facts,
    int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare(
          "SELECT t.id, t.job_id, t.attempt, j.spec, j.state, "
          "coalesce(t.wave = j.wave, 0), j.wave, j.lease_micros FROM tasks t "
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
    Candidate c;
    c.task_id = st->ColumnText(0);
    c.job_id = st->ColumnText(1);
    c.attempt = st->ColumnInt(2);
    if (!c.spec.ParseFromString(st->ColumnBlob(3))) {
      return absl::DataLossError(absl::StrCat("job ", c.job_id, ": bad spec"));
    }
    c.job_state = static_cast<v1::JobState>(st->ColumnInt(4));
    c.counted = st->ColumnInt(5) != 0;
    c.wave = st->ColumnInt(6);
    c.lease_micros = st->ColumnInt(7);
    if (!InMaintenanceWindowForLease(c.spec.policy(), facts, now)) continue;
    return c;
  }
}

// The steps stored for the candidate's attempt.
[[nodiscard]] absl::StatusOr<int64_t> CountSteps(Connection& db,
                                                 const Candidate& c) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT count(*) FROM steps WHERE task_id = ?1 "
                              "AND attempt = ?2"));
  st->Bind(1, c.task_id);
  st->Bind(2, c.attempt);
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

[[nodiscard]] absl::Status ReplaceSteps(Connection& db, const Candidate& c,
                                        const v1::Plan& plan) {
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("DELETE FROM steps WHERE task_id = ?1 AND "
                                "attempt = ?2"));
    st->Bind(1, c.task_id);
    st->Bind(2, c.attempt);
    RETURN_IF_ERROR(st->Run());
  }
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO steps (task_id, job_id, attempt, idx, name, "
                 "state) VALUES (?1, ?2, ?3, ?4, ?5, " SQL_STEP_PENDING ")"));
  for (int i = 0; i < plan.steps_size(); ++i) {
    st->Bind(1, c.task_id);
    st->Bind(2, c.job_id);
    st->Bind(3, c.attempt);
    st->Bind(4, static_cast<int64_t>(i));
    st->Bind(5, plan.steps(i).name());
    RETURN_IF_ERROR(st->Run());
    st->Reset();
  }
  return absl::OkStatus();
}

// Whether the fleet-wide cap leaves room for one more lease.
[[nodiscard]] absl::StatusOr<bool> FleetHasRoom(Connection& db,
                                                int64_t max_tasks_in_flight) {
  if (max_tasks_in_flight <= 0) return true;
  ASSIGN_OR_RETURN(const int64_t in_flight, FleetTasksInFlight(db));
  return in_flight < max_tasks_in_flight;
}

}  // namespace

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

absl::StatusOr<bool> HasLeasableTask(Connection& db,
                                     absl::string_view device_id,
                                     const v1::DeviceFacts& facts, int64_t now,
                                     int64_t max_tasks_in_flight) {
  {
    // Redeliver's query: a live lease the device holds (any job state: a
    // cancelled job's task is ended by the lease attempt, a write).
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT 1 FROM tasks INDEXED BY "
                   "tasks_by_device_state WHERE device_id = ?1 "
                   "AND state IN (" SQL_TASK_LEASED ", " SQL_TASK_RUNNING
                   ") AND lease_expires_at > "
                   "?2 LIMIT 1"));
    st->Bind(1, device_id);
    st->Bind(2, now);
    ASSIGN_OR_RETURN(bool held, st->Step());
    if (held) return true;
  }
  // The cap before the queued tasks: the other way round every parked
  // device's poll read and parsed its job's spec first (a 10,000-device job
  // took 87-91 s instead of 75-80 s).
  ASSIGN_OR_RETURN(const bool room, FleetHasRoom(db, max_tasks_in_flight));
  if (!room) return false;
  ASSIGN_OR_RETURN(std::optional<Candidate> next,
                   NextQueued(db, device_id, facts, now));
  return next.has_value();
}

absl::StatusOr<std::optional<v1::LeasedTask>> LeaseTaskForDevice(
    Connection& db, absl::string_view device_id, const v1::DeviceFacts& facts,
    int64_t now, absl::Duration server_lease, int64_t max_tasks_in_flight,
    WriteEffects* effects) {
  ASSIGN_OR_RETURN(std::optional<v1::LeasedTask> held,
                   Redeliver(db, device_id, now, server_lease, effects));
  if (held) {
    RETURN_IF_ERROR(AttachMaintenanceWindows(db, &*held));
    return held;
  }
  ASSIGN_OR_RETURN(const bool room, FleetHasRoom(db, max_tasks_in_flight));
  if (!room) return std::nullopt;

  for (int tries = 0; tries < kMaxPlanFailuresPerPoll; ++tries) {
    ASSIGN_OR_RETURN(std::optional<Candidate> next,
                     NextQueued(db, device_id, facts, now));
    if (!next) return std::nullopt;
    absl::StatusOr<v1::Plan> plan = [&]() -> absl::StatusOr<v1::Plan> {
      ASSIGN_OR_RETURN(PlanInputs inputs, PlanInputsForSpec(db, next->spec));
      return BuildPlan(inputs, facts);
    }();
    TaskKey key{next->task_id, next->job_id, v1::TASK_STATE_QUEUED,
                next->attempt};
    if (!plan.ok()) {
      RETURN_IF_ERROR(
          EndTask(db, key,
                  {.to = v1::TASK_STATE_FAILED,
                   .message = std::string(plan.status().message()),
                   .pending_message = "not run: the device cannot run this job",
                   .running_message = {}},
                  now, effects));
      continue;
    }
    const std::string lease_id = RandomHex(16);
    {
      ASSIGN_OR_RETURN(
          CachedStatement st,
          db.Prepare("UPDATE tasks SET state = " SQL_TASK_LEASED
                     ", lease_id = ?2, "
                     "lease_expires_at = ?3, started_at = ?4, wave = ?5 "
                     "WHERE id = ?1"));
      st->Bind(1, next->task_id);
      st->Bind(2, lease_id);
      st->Bind(3,
               RenewedLeaseExpiry(now, server_lease, now, next->lease_micros));
      st->Bind(4, now);
      st->Bind(5, next->wave);
      RETURN_IF_ERROR(st->Run());
    }
    // The plan built at submit (or at the last lease) is usually the same:
    // its steps of this attempt are then already there.
    ASSIGN_OR_RETURN(const bool plan_changed,
                     SetTaskPlan(db, next->task_id, *plan));
    ASSIGN_OR_RETURN(const int64_t steps, CountSteps(db, *next));
    if (plan_changed || steps != plan->steps_size()) {
      RETURN_IF_ERROR(ReplaceSteps(db, *next, *plan));
    }
    RETURN_IF_ERROR(MoveTaskCounter(db, next->job_id, v1::TASK_STATE_QUEUED,
                                    v1::TASK_STATE_LEASED));
    RETURN_IF_ERROR(OnTaskLeased(db, next->job_id, next->counted));
    if (next->job_state == v1::JOB_STATE_PENDING) {
      ASSIGN_OR_RETURN(CachedStatement st,
                       db.Prepare("UPDATE jobs SET state = " SQL_JOB_RUNNING
                                  " WHERE id = ?1"));
      st->Bind(1, next->job_id);
      RETURN_IF_ERROR(st->Run());
    }
    effects->changed_jobs.insert(next->job_id);
    v1::LeasedTask task;
    task.set_task_id(next->task_id);
    task.set_job_id(next->job_id);
    task.set_attempt(static_cast<uint32_t>(next->attempt));
    task.set_lease_id(lease_id);
    task.set_kind(next->spec.kind());
    *task.mutable_plan() = RunnerPart(std::move(*plan));
    SetDuration(server_lease, task.mutable_lease_duration());
    CopyMaintenanceWindows(next->spec.policy(), &task);
    return task;
  }
  return std::nullopt;
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

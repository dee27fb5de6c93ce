#include "server/store/jobs.h"

#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/api_offboard.h"
#include "common/status_macros.h"
#include "server/store/deterministic_bytes.h"
#include "server/store/rollout.h"
#include "server/store/sql_states.h"
#include "server/store/task_plans.h"
#include "server/store/time_util.h"

namespace mdefleet::store {
namespace {

// Up to this many queued tasks, a job's count of those on offline devices
// starts from its tasks; above, from the offline devices.
constexpr uint32_t kQueuedToCountFromTasks = 2000;

// The job's queued tasks of offline devices, sought device by device.
// `join` pins SQLite's plan (CROSS JOIN keeps the order, INDEXED BY the
// index); PostgreSQL's planner picks both by itself.
#define MDF_QUEUED_OFFLINE_BY_DEVICE(join) \
  "SELECT count(*) FROM devices d " join   \
  " ON t.device_id = d.id "                \
  "AND t.state = " SQL_TASK_QUEUED         \
  " WHERE d.last_seen_at < ?2 AND t.job_id = ?1"

constexpr char kJobColumns[] =
    "SELECT id, spec, state, state_reason, created_by, created_at, "
    "finished_at, total, queued, leased, running, succeeded, failed, skipped, "
    "cancelled, timed_out, expired, wave, wave_leased, canary, wave_size, "
    "wave_opens_at, pause_cause, deadline_at, deadline_capped, max_failures "
    "FROM jobs";

[[nodiscard]] absl::StatusOr<v1::Job> ReadJob(const Statement& st) {
  v1::Job job;
  job.set_id(st.ColumnText(0));
  if (!job.mutable_spec()->ParseFromString(st.ColumnBlob(1))) {
    return absl::DataLossError(absl::StrCat("job ", job.id(), ": bad spec"));
  }
  job.set_state(static_cast<v1::JobState>(st.ColumnInt(2)));
  job.set_state_reason(st.ColumnText(3));
  job.set_created_by(st.ColumnText(4));
  SetTimestamp(st.ColumnInt(5), job.mutable_created_at());
  SetOptionalTimestamp(st.ColumnOptionalInt(6),
                       [&] { return job.mutable_finished_at(); });
  v1::TaskCounts* c = job.mutable_counts();
  c->set_total(static_cast<uint32_t>(st.ColumnInt(7)));
  c->set_queued(static_cast<uint32_t>(st.ColumnInt(8)));
  c->set_leased(static_cast<uint32_t>(st.ColumnInt(9)));
  c->set_running(static_cast<uint32_t>(st.ColumnInt(10)));
  c->set_succeeded(static_cast<uint32_t>(st.ColumnInt(11)));
  c->set_failed(static_cast<uint32_t>(st.ColumnInt(12)));
  c->set_skipped(static_cast<uint32_t>(st.ColumnInt(13)));
  c->set_cancelled(static_cast<uint32_t>(st.ColumnInt(14)));
  c->set_timed_out(static_cast<uint32_t>(st.ColumnInt(15)));
  c->set_expired(static_cast<uint32_t>(st.ColumnInt(16)));
  v1::RolloutStatus* r = job.mutable_rollout();
  const int64_t wave = st.ColumnInt(17);
  r->set_wave(static_cast<uint32_t>(wave));
  r->set_wave_leased(static_cast<uint32_t>(st.ColumnInt(18)));
  r->set_wave_size(
      static_cast<uint32_t>(wave == 0 ? st.ColumnInt(19) : st.ColumnInt(20)));
  if (st.ColumnInt(21) > 0 && !IsTerminal(job.state())) {
    SetTimestamp(st.ColumnInt(21), r->mutable_wave_opens_at());
  }
  r->set_pause_cause(static_cast<v1::PauseCause>(st.ColumnInt(22)));
  SetOptionalTimestamp(st.ColumnOptionalInt(23),
                       [&] { return r->mutable_deadline(); });
  r->set_deadline_capped(st.ColumnInt(24) != 0);
  if (std::optional<int64_t> m = st.ColumnOptionalInt(25)) {
    r->set_max_failures(static_cast<uint32_t>(*m));
  }
  return job;
}

}  // namespace

absl::Status InsertJob(Connection& db, const v1::Job& job,
                       const std::vector<NewTask>& tasks,
                       const ResolvedPolicy& policy, int64_t now,
                       WriteEffects* effects) {
  int64_t queued = 0, failed = 0;
  for (const NewTask& t : tasks) {
    (t.state == v1::TASK_STATE_QUEUED ? queued : failed) += 1;
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("INSERT INTO jobs (id, kind, spec, state, created_by, "
                   "created_at, max_in_flight, total, queued, failed, "
                   "lease_micros, deadline_at, deadline_capped, max_failures, "
                   "retries, retry_backoff_micros, canary, canary_approval, "
                   "wave_size, wave_interval_micros, wave) VALUES (?1, ?2, "
                   "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                   "?16, ?17, ?18, ?19, ?20, ?21)"));
    st->Bind(1, job.id());
    st->Bind(2, job.spec().kind());
    st->BindBlob(3, job.spec().SerializeAsString());
    st->Bind(4, static_cast<int64_t>(v1::JOB_STATE_PENDING));
    st->Bind(5, job.created_by());
    st->Bind(6, now);
    st->Bind(7, policy.max_in_flight);
    st->Bind(8, static_cast<int64_t>(tasks.size()));
    st->Bind(9, queued);
    st->Bind(10, failed);
    st->Bind(11, absl::ToInt64Microseconds(policy.task_timeout));
    if (policy.deadline.has_value()) {
      st->Bind(12, ToMicros(*policy.deadline));
    } else {
      st->BindNull(12);
    }
    st->Bind(13, int64_t{policy.deadline_capped ? 1 : 0});
    st->Bind(14, policy.max_failures);
    st->Bind(15, policy.retries);
    st->Bind(16, absl::ToInt64Microseconds(policy.retry_backoff));
    st->Bind(17, policy.canary);
    st->Bind(18, int64_t{policy.canary_approval ? 1 : 0});
    st->Bind(19, policy.wave_size);
    st->Bind(20, absl::ToInt64Microseconds(policy.wave_interval));
    st->Bind(21, int64_t{policy.canary > 0 ? 0 : 1});
    RETURN_IF_ERROR(st->Run());
  }
  ASSIGN_OR_RETURN(
      CachedStatement task_st,
      db.Prepare("INSERT INTO tasks (id, job_id, device_id, state, attempt, "
                 "message, created_at, finished_at) VALUES (?1, ?2, ?3, ?4, 1, "
                 "?5, ?6, ?7)"));
  ASSIGN_OR_RETURN(
      CachedStatement step_st,
      db.Prepare("INSERT INTO steps (task_id, job_id, attempt, idx, name, "
                 "state) VALUES (?1, ?2, 1, ?3, ?4, " SQL_STEP_PENDING ")"));
  // PostgreSQL: the steps are counted once at the end (migration
  // postgres/0002), not by the row trigger step after step.
  const bool bulk_counts = db.dialect() == SqlDialect::kPostgres;
  if (bulk_counts) {
    RETURN_IF_ERROR(
        db.Exec("SELECT set_config('mdefleet.bulk_step_counts', 'on', true)"));
  }
  // Tasks share their plan objects (NewTask.plan): each is stored once.
  absl::flat_hash_map<const v1::Plan*, int64_t> stored;
  static const v1::Plan* const kNoPlan = new v1::Plan();
  for (const NewTask& t : tasks) {
    const v1::Plan& plan = t.plan != nullptr ? *t.plan : *kNoPlan;
    task_st->Bind(1, t.id);
    task_st->Bind(2, job.id());
    task_st->Bind(3, t.device_id);
    task_st->Bind(4, static_cast<int64_t>(t.state));
    task_st->Bind(5, t.message);
    task_st->Bind(6, now);
    if (IsTerminal(t.state)) {
      task_st->Bind(7, now);
    } else {
      task_st->BindNull(7);
    }
    RETURN_IF_ERROR(task_st->Run());
    auto [known, inserted] = stored.try_emplace(&plan, 0);
    if (inserted) {
      ASSIGN_OR_RETURN(known->second, StorePlan(db, DeterministicBytes(plan)));
    }
    RETURN_IF_ERROR(SetTaskPlanId(db, t.id, known->second));
    task_st->Reset();
    if (t.state != v1::TASK_STATE_QUEUED) continue;
    for (int i = 0; i < plan.steps_size(); ++i) {
      step_st->Bind(1, t.id);
      step_st->Bind(2, job.id());
      step_st->Bind(3, static_cast<int64_t>(i));
      step_st->Bind(4, plan.steps(i).name());
      RETURN_IF_ERROR(step_st->Run());
      step_st->Reset();
    }
  }
  if (bulk_counts) {
    RETURN_IF_ERROR(
        db.Exec("SELECT set_config('mdefleet.bulk_step_counts', 'off', true)"));
    ASSIGN_OR_RETURN(
        CachedStatement counts,
        db.Prepare("INSERT INTO job_step_counts (job_id, name, state, count, "
                   "min_idx) SELECT job_id, name, state, count(*), min(idx) "
                   "FROM steps WHERE job_id = ?1 AND superseded = 0 GROUP BY "
                   "job_id, name, state"));
    counts->Bind(1, job.id());
    RETURN_IF_ERROR(counts->Run());
  }
  effects->changed_jobs.insert(job.id());
  // Devices that cannot run the kind at all may already exceed the threshold.
  ASSIGN_OR_RETURN(JobRollout rollout, ReadRollout(db, job.id()));
  RETURN_IF_ERROR(MaybePauseForFailures(db, rollout, now, effects));
  return MaybeFinishJob(db, job.id(), now, effects);
}

absl::StatusOr<std::optional<v1::Job>> GetJob(Connection& db,
                                              absl::string_view job_id) {
  static const std::string sql = absl::StrCat(kJobColumns, " WHERE id = ?1");
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(sql.c_str()));
  st->Bind(1, job_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  ASSIGN_OR_RETURN(v1::Job job, ReadJob(*st));
  return job;
}

absl::Status FillFailingSteps(Connection& db, v1::Job* job, int limit) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT name, message, count(*) AS n FROM steps WHERE "
                 "job_id = ?1 AND state = " SQL_STEP_FAILED
                 " AND superseded = 0 GROUP BY name, "
                 "message ORDER BY n DESC, min(idx) LIMIT ?2"));
  st->Bind(1, job->id());
  st->Bind(2, static_cast<int64_t>(limit));
  job->clear_failing_steps();
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    v1::StepFailure* f = job->add_failing_steps();
    f->set_step_name(st->ColumnText(0));
    f->set_message(st->ColumnText(1));
    f->set_count(static_cast<uint32_t>(st->ColumnInt(2)));
  }
  return absl::OkStatus();
}

absl::Status FillStepSummary(Connection& db, v1::Job* job) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT name, state, count, min_idx FROM job_step_counts "
                 "WHERE job_id = ?1 AND count > 0"));
  st->Bind(1, job->id());
  // Ordered by the first position the step name takes in a plan.
  std::map<std::pair<int64_t, std::string>, v1::StepSummary> by_position;
  std::map<std::string, int64_t> position;
  struct Row {
    std::string name;
    int64_t state, count, idx;
  };
  std::vector<Row> rows;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    Row r{st->ColumnText(0), st->ColumnInt(1), st->ColumnInt(2),
          st->ColumnInt(3)};
    auto [it, inserted] = position.emplace(r.name, r.idx);
    if (!inserted && r.idx < it->second) it->second = r.idx;
    rows.push_back(std::move(r));
  }
  for (const Row& r : rows) {
    v1::StepSummary& s = by_position[{position[r.name], r.name}];
    s.set_step_name(r.name);
    const auto n = static_cast<uint32_t>(r.count);
    switch (static_cast<v1::StepState>(r.state)) {
      case v1::STEP_STATE_PENDING:
        s.set_pending(s.pending() + n);
        break;
      case v1::STEP_STATE_RUNNING:
        s.set_running(s.running() + n);
        break;
      case v1::STEP_STATE_SUCCEEDED:
        s.set_succeeded(s.succeeded() + n);
        break;
      case v1::STEP_STATE_FAILED:
        s.set_failed(s.failed() + n);
        break;
      case v1::STEP_STATE_SKIPPED:
        s.set_skipped(s.skipped() + n);
        break;
      default:
        break;
    }
  }
  job->clear_step_summary();
  for (auto& [key, summary] : by_position) {
    *job->add_step_summary() = std::move(summary);
  }
  return absl::OkStatus();
}

absl::Status FillRolloutCounts(Connection& db, v1::Job* job, int64_t now,
                               int64_t online_since) {
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        // Driven by the smaller side: the job's queued tasks (its counter
        // says how many) to their devices, or, for a fleet-wide job, the
        // offline devices (few in a healthy fleet) to their queued tasks: 40
        // ms a GetJob at 10,000 queued the first way. The second way seeks
        // each offline device's queued tasks by device: left to itself,
        // SQLite read the job's queued tasks once per offline device, and at
        // 100,000 of each a submit's answer never came.
        db.Prepare(job->counts().queued() <= kQueuedToCountFromTasks
                       ? "SELECT count(*) FROM tasks t JOIN devices d ON d.id "
                         "= t.device_id WHERE t.job_id = ?1 AND t.state "
                         "= " SQL_TASK_QUEUED " "
                         "AND d.last_seen_at < ?2"
                       : SqlFor(db,
                                MDF_QUEUED_OFFLINE_BY_DEVICE(
                                    "CROSS JOIN tasks t INDEXED BY "
                                    "tasks_by_device_state"),
                                MDF_QUEUED_OFFLINE_BY_DEVICE("JOIN tasks t"))));
    st->Bind(1, job->id());
    st->Bind(2, online_since);
    ASSIGN_OR_RETURN(bool row, st->Step());
    job->mutable_rollout()->set_queued_offline(
        row ? static_cast<uint32_t>(st->ColumnInt(0)) : 0);
  }
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT count(*) FROM tasks WHERE job_id = ?1 "
                 "AND state = " SQL_TASK_QUEUED " AND not_before > ?2"));
  st->Bind(1, job->id());
  st->Bind(2, now);
  ASSIGN_OR_RETURN(bool row, st->Step());
  job->mutable_rollout()->set_retry_waiting(
      row ? static_cast<uint32_t>(st->ColumnInt(0)) : 0);
  if (IsServerExecutedKind(job->spec().kind())) {
    // The server does this work: whether the device is online is moot.
    job->mutable_rollout()->set_queued_offline(0);
    ASSIGN_OR_RETURN(CachedStatement waiting,
                     db.Prepare("SELECT api_waiting FROM jobs WHERE id = ?1"));
    waiting->Bind(1, job->id());
    ASSIGN_OR_RETURN(bool found, waiting->Step());
    job->mutable_rollout()->set_api_waiting(
        found ? static_cast<uint32_t>(waiting->ColumnInt(0)) : 0);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Job>> ListJobs(Connection& db,
                                              v1::JobState state,
                                              int64_t limit) {
  static const std::string sql = absl::StrCat(
      kJobColumns, " WHERE ?1 = 0 OR state = ?1 ORDER BY rowid DESC LIMIT ?2");
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(sql.c_str()));
  st->Bind(1, static_cast<int64_t>(state));
  st->Bind(2, limit);
  std::vector<v1::Job> jobs;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(v1::Job job, ReadJob(*st));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

absl::StatusOr<std::vector<std::string>> QueuedDevicesOfJob(
    Connection& db, absl::string_view job_id, int64_t limit) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT device_id FROM tasks WHERE job_id = ?1 "
                              "AND state = " SQL_TASK_QUEUED " LIMIT ?2"));
  st->Bind(1, job_id);
  st->Bind(2, limit);
  std::vector<std::string> devices;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    devices.push_back(st->ColumnText(0));
  }
  return devices;
}

}  // namespace mdefleet::store

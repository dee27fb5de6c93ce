#include "server/store/rollout.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {
namespace {

[[nodiscard]] absl::StatusOr<std::string> Hostname(Connection& db,
                                                   absl::string_view task_id) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT d.hostname FROM tasks t JOIN devices d "
                              "ON d.id = t.device_id WHERE t.id = ?1"));
  st->Bind(1, task_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnText(0) : std::string(task_id);
}

// The job's --max-failures as submitted.
[[nodiscard]] absl::StatusOr<v1::Threshold> MaxFailuresAsSubmitted(
    Connection& db, absl::string_view job_id) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT spec FROM jobs WHERE id = ?1"));
  st->Bind(1, job_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  v1::JobSpec spec;
  if (!row || !spec.ParseFromString(st->ColumnBlob(0))) {
    return absl::DataLossError(absl::StrCat("job ", job_id, ": bad spec"));
  }
  return spec.policy().max_failures();
}

}  // namespace

absl::StatusOr<JobRollout> ReadRollout(Connection& db,
                                       absl::string_view job_id) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT state, pause_cause, total, failed + timed_out, "
                 "canary, canary_approval, wave_size, wave_interval_micros, "
                 "wave, wave_leased, wave_pending, wave_failed, max_failures "
                 "FROM jobs WHERE id = ?1"));
  st->Bind(1, job_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("job_id: no job \"", job_id, "\""));
  }
  JobRollout r;
  r.job_id = std::string(job_id);
  r.state = static_cast<v1::JobState>(st->ColumnInt(0));
  r.pause_cause = static_cast<v1::PauseCause>(st->ColumnInt(1));
  r.total = st->ColumnInt(2);
  r.failures = st->ColumnInt(3);
  r.canary = st->ColumnInt(4);
  r.canary_approval = st->ColumnInt(5) != 0;
  r.wave_size = st->ColumnInt(6);
  r.wave_interval_micros = st->ColumnInt(7);
  r.wave = st->ColumnInt(8);
  r.wave_leased = st->ColumnInt(9);
  r.wave_pending = st->ColumnInt(10);
  r.wave_failed = st->ColumnInt(11);
  r.max_failures = st->ColumnOptionalInt(12);
  return r;
}

absl::Status OnTaskLeased(Connection& db, absl::string_view job_id,
                          bool counted) {
  if (counted) return absl::OkStatus();
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("UPDATE jobs SET wave_leased = wave_leased + 1, "
                              "wave_pending = wave_pending + 1 WHERE id = ?1"));
  st->Bind(1, job_id);
  return st->Run();
}

absl::Status PauseJobFor(Connection& db, absl::string_view job_id,
                         v1::PauseCause cause, absl::string_view reason,
                         WriteEffects* effects) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE jobs SET state = " SQL_JOB_PAUSED
                 ", pause_cause = ?2, state_reason = ?3 WHERE id = ?1 AND "
                 "state IN (" SQL_JOB_PENDING ", " SQL_JOB_RUNNING ")"));
  st->Bind(1, job_id);
  st->Bind(2, static_cast<int64_t>(cause));
  st->Bind(3, reason);
  RETURN_IF_ERROR(st->Run());
  if (db.Changes() > 0) {
    effects->changed_jobs.insert(std::string(job_id));
    effects->paused_jobs.insert(std::string(job_id));
  }
  return absl::OkStatus();
}

absl::Status MaybePauseForFailures(Connection& db, const JobRollout& job,
                                   int64_t now, WriteEffects* effects) {
  if (!scheduler::ShouldPauseForFailures(job)) return absl::OkStatus();
  ASSIGN_OR_RETURN(const v1::Threshold threshold,
                   MaxFailuresAsSubmitted(db, job.job_id));
  return PauseJobFor(db, job.job_id, v1::PAUSE_CAUSE_MAX_FAILURES,
                     scheduler::MaxFailuresReason(job, threshold), effects);
}

absl::Status OpenNextWave(Connection& db, const JobRollout& job,
                          int64_t opens_at, int64_t now,
                          WriteEffects* effects) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE jobs SET wave = wave + 1, wave_leased = 0, "
                 "wave_pending = 0, wave_failed = 0, wave_opens_at = ?2 WHERE "
                 "id = ?1"));
  st->Bind(1, job.job_id);
  st->Bind(2, opens_at);
  RETURN_IF_ERROR(st->Run());
  effects->changed_jobs.insert(job.job_id);
  if (opens_at <= now) {
    // The reaper wakes devices for a wave that opens later.
    effects->freed_slots[job.job_id] += scheduler::WakeCount(job.wave_size);
  }
  return absl::OkStatus();
}

absl::Status MaybeAdvanceWave(Connection& db, const JobRollout& job,
                              int64_t now, WriteEffects* effects) {
  const scheduler::WaveStep step = scheduler::NextWaveStep(job, now);
  if (step.await_approval) {
    return PauseJobFor(db, job.job_id, v1::PAUSE_CAUSE_AWAITING_APPROVAL,
                       scheduler::AwaitingApprovalReason(job), effects);
  }
  if (!step.open_next_at.has_value()) return absl::OkStatus();
  return OpenNextWave(db, job, *step.open_next_at, now, effects);
}

absl::Status OnTaskEnded(Connection& db, const TaskKey& task,
                         std::optional<int64_t> task_wave, v1::TaskState to,
                         absl::string_view message, int64_t now,
                         WriteEffects* effects) {
  ASSIGN_OR_RETURN(const JobRollout job, ReadRollout(db, task.job_id));
  const scheduler::TaskEndedDecision d =
      scheduler::DecideTaskEnded(job, task_wave, to, now);
  if (d.counted_in_wave) {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE jobs SET wave_pending = wave_pending - 1, "
                   "wave_failed = wave_failed + ?2, wave_leased = wave_leased "
                   "- ?3 WHERE id = ?1"));
    st->Bind(1, task.job_id);
    st->Bind(2, int64_t{d.wave_failure ? 1 : 0});
    st->Bind(3, int64_t{d.refund_slot ? 1 : 0});
    RETURN_IF_ERROR(st->Run());
  }
  if (d.refund_slot) {
    ASSIGN_OR_RETURN(CachedStatement clear,
                     db.Prepare("UPDATE tasks SET wave = NULL WHERE id = ?1"));
    clear->Bind(1, task.id);
    RETURN_IF_ERROR(clear->Run());
    effects->freed_slots[task.job_id] += 1;
  }
  if (d.pause.has_value()) {
    std::string reason;
    switch (*d.pause) {
      case v1::PAUSE_CAUSE_CANARY_FAILED: {
        ASSIGN_OR_RETURN(const std::string host, Hostname(db, task.id));
        reason = scheduler::CanaryFailedReason(task.job_id, host, message);
        break;
      }
      case v1::PAUSE_CAUSE_MAX_FAILURES: {
        ASSIGN_OR_RETURN(const v1::Threshold threshold,
                         MaxFailuresAsSubmitted(db, task.job_id));
        reason = scheduler::MaxFailuresReason(d.after, threshold);
        break;
      }
      default:
        reason = scheduler::AwaitingApprovalReason(d.after);
        break;
    }
    RETURN_IF_ERROR(PauseJobFor(db, task.job_id, *d.pause, reason, effects));
  }
  if (d.open_next_wave_at.has_value()) {
    return OpenNextWave(db, d.after, *d.open_next_wave_at, now, effects);
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::store

#include "server/store/rollout.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/rollout_policy.h"
#include "common/status_macros.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {
namespace {

constexpr int kUnlimitedWake = 256;

bool Active(v1::JobState state) {
  return state == v1::JOB_STATE_PENDING || state == v1::JOB_STATE_RUNNING;
}

bool IsFailure(v1::TaskState state) {
  return state == v1::TASK_STATE_FAILED || state == v1::TASK_STATE_TIMED_OUT;
}

[[nodiscard]] absl::StatusOr<std::string> Hostname(Connection& db,
                                                   absl::string_view task_id) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT d.hostname FROM tasks t JOIN devices d "
                              "ON d.id = t.device_id WHERE t.id = ?1"));
  st->Bind(1, task_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnText(0) : std::string(task_id);
}

// "--max-failures 5% (5 of 100 tasks)" from the spec as submitted.
[[nodiscard]] absl::StatusOr<std::string> ThresholdText(Connection& db,
                                                        const JobRollout& job) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT spec FROM jobs WHERE id = ?1"));
  st->Bind(1, job.job_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  v1::JobSpec spec;
  if (!row || !spec.ParseFromString(st->ColumnBlob(0))) {
    return absl::DataLossError(absl::StrCat("job ", job.job_id, ": bad spec"));
  }
  const v1::Threshold& t = spec.policy().max_failures();
  std::string text = absl::StrCat("--max-failures ", FormatThreshold(t));
  if (t.has_percent()) {
    absl::StrAppend(&text, " (", *job.max_failures, " of ", job.total,
                    " tasks)");
  }
  return text;
}

}  // namespace

int WakeCount(int64_t budget) {
  if (budget <= 0) return kUnlimitedWake;
  return static_cast<int>(std::min<int64_t>(budget, kUnlimitedWake));
}

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
  if (!Active(job.state) || !job.max_failures.has_value() ||
      job.failures <= *job.max_failures) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string threshold, ThresholdText(db, job));
  return PauseJobFor(
      db, job.job_id, v1::PAUSE_CAUSE_MAX_FAILURES,
      absl::StrCat(
          "paused: ", job.failures,
          job.failures == 1 ? " failure exceeds " : " failures exceed ",
          threshold,
          "; nothing more is leased. Fix the cause, then `mdefleetctl "
          "jobs retry-failed ",
          job.job_id, "` and `mdefleetctl jobs resume ", job.job_id, "`"),
      effects);
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
    effects->freed_slots[job.job_id] += WakeCount(job.wave_size);
  }
  return absl::OkStatus();
}

absl::Status MaybeAdvanceWave(Connection& db, const JobRollout& job,
                              int64_t now, WriteEffects* effects) {
  if (!Active(job.state)) return absl::OkStatus();
  const int64_t budget = job.budget();
  if (budget == 0 || job.wave_leased < budget || job.wave_pending > 0) {
    return absl::OkStatus();
  }
  if (job.wave == 0) {
    if (job.wave_failed > 0) return absl::OkStatus();  // paused at the failure
    if (job.canary_approval) {
      return PauseJobFor(
          db, job.job_id, v1::PAUSE_CAUSE_AWAITING_APPROVAL,
          absl::StrCat("awaiting approval: the ", job.canary,
                       job.canary == 1 ? " canary" : " canaries",
                       " succeeded; continue with `mdefleetctl jobs resume ",
                       job.job_id, "`"),
          effects);
    }
  }
  return OpenNextWave(db, job, now + job.wave_interval_micros, now, effects);
}

absl::Status OnTaskEnded(Connection& db, const TaskKey& task,
                         std::optional<int64_t> task_wave, v1::TaskState to,
                         absl::string_view message, int64_t now,
                         WriteEffects* effects) {
  ASSIGN_OR_RETURN(JobRollout job, ReadRollout(db, task.job_id));
  const bool failure = IsFailure(to);
  if (task_wave.has_value() && *task_wave == job.wave) {
    // A skipped canary proved nothing: its slot goes to another device.
    const bool refund = job.wave == 0 && to == v1::TASK_STATE_SKIPPED;
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE jobs SET wave_pending = wave_pending - 1, "
                   "wave_failed = wave_failed + ?2, wave_leased = wave_leased "
                   "- ?3 WHERE id = ?1"));
    st->Bind(1, task.job_id);
    st->Bind(2, int64_t{failure ? 1 : 0});
    st->Bind(3, int64_t{refund ? 1 : 0});
    RETURN_IF_ERROR(st->Run());
    job.wave_pending -= 1;
    job.wave_failed += failure ? 1 : 0;
    job.wave_leased -= refund ? 1 : 0;
    if (refund) {
      ASSIGN_OR_RETURN(
          CachedStatement clear,
          db.Prepare("UPDATE tasks SET wave = NULL WHERE id = ?1"));
      clear->Bind(1, task.id);
      RETURN_IF_ERROR(clear->Run());
      effects->freed_slots[task.job_id] += 1;
    }
    if (failure && job.wave == 0 && Active(job.state)) {
      ASSIGN_OR_RETURN(std::string host, Hostname(db, task.id));
      RETURN_IF_ERROR(PauseJobFor(
          db, task.job_id, v1::PAUSE_CAUSE_CANARY_FAILED,
          absl::StrCat("paused: canary failed on ", host, ": ", message,
                       ". Fix the cause and `mdefleetctl jobs retry-failed ",
                       task.job_id,
                       "`, or continue anyway with `mdefleetctl "
                       "jobs resume ",
                       task.job_id, "`"),
          effects));
      job.state = v1::JOB_STATE_PAUSED;
    }
  }
  if (failure) {
    RETURN_IF_ERROR(MaybePauseForFailures(db, job, now, effects));
    if (job.max_failures.has_value() && job.failures > *job.max_failures) {
      job.state = v1::JOB_STATE_PAUSED;
    }
  }
  return MaybeAdvanceWave(db, job, now, effects);
}

}  // namespace mdefleet::store

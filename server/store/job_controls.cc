#include "server/store/job_controls.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/scheduler/rollout_rules.h"
#include "server/store/retries.h"
#include "server/store/rollout.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {
namespace {

struct JobRow {
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;
  v1::PauseCause pause_cause = v1::PAUSE_CAUSE_UNSPECIFIED;
  std::string reason;
  int64_t failures = 0;  // failed + timed_out
  int64_t started = 0;   // tasks that left QUEUED at least once
  std::optional<int64_t> deadline_at;
};

[[nodiscard]] absl::StatusOr<JobRow> ReadJobRow(Connection& db,
                                                absl::string_view job_id) {
  if (job_id.empty()) return absl::InvalidArgumentError("job_id: required");
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT state, pause_cause, state_reason, failed + "
                 "timed_out, total - queued, deadline_at FROM jobs WHERE id "
                 "= ?1"));
  st->Bind(1, job_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("job_id: no job \"", job_id, "\""));
  }
  return JobRow{static_cast<v1::JobState>(st->ColumnInt(0)),
                static_cast<v1::PauseCause>(st->ColumnInt(1)),
                st->ColumnText(2),
                st->ColumnInt(3),
                st->ColumnInt(4),
                st->ColumnOptionalInt(5)};
}

[[nodiscard]] absl::Status Refused(const ControlRequest& r,
                                   absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("job_id: job ", r.job_id, " ", why));
}

// "paused by admin: change freeze" / "paused by admin".
std::string ByActor(absl::string_view verb, const ControlRequest& r) {
  std::string text = absl::StrCat(verb, " by ", r.actor);
  if (!r.reason.empty()) absl::StrAppend(&text, ": ", r.reason);
  return text;
}

[[nodiscard]] absl::Status SetState(Connection& db, absl::string_view job_id,
                                    v1::JobState state,
                                    absl::string_view reason) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE jobs SET state = ?2, state_reason = ?3, pause_cause "
                 "= ?4, finished_at = NULL WHERE id = ?1"));
  st->Bind(1, job_id);
  st->Bind(2, static_cast<int64_t>(state));
  st->Bind(3, reason);
  st->Bind(4, static_cast<int64_t>(state == v1::JOB_STATE_PAUSED
                                       ? v1::PAUSE_CAUSE_OPERATOR
                                       : v1::PAUSE_CAUSE_UNSPECIFIED));
  return st->Run();
}

}  // namespace

absl::Status CancelJob(Connection& db, const ControlRequest& request,
                       int64_t now, WriteEffects* effects) {
  ASSIGN_OR_RETURN(JobRow job, ReadJobRow(db, request.job_id));
  if (IsTerminal(job.state)) {
    return Refused(request,
                   absl::StrCat("already ended (", JobStateWord(job.state),
                                "); there is nothing to cancel"));
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE steps SET state = " SQL_STEP_SKIPPED
                   ", message = 'not run: job cancelled' WHERE state "
                   "= " SQL_STEP_PENDING
                   " AND task_id IN (SELECT id FROM tasks "
                   "WHERE job_id = ?1 AND state = " SQL_TASK_QUEUED ")"));
    st->Bind(1, request.job_id);
    RETURN_IF_ERROR(st->Run());
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE tasks SET state = " SQL_TASK_CANCELLED
                   ", message = 'job cancelled', finished_at = ?2 WHERE "
                   "job_id = ?1 AND state = " SQL_TASK_QUEUED));
    st->Bind(1, request.job_id);
    st->Bind(2, now);
    RETURN_IF_ERROR(st->Run());
  }
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE jobs SET state = " SQL_JOB_CANCELLED
                 ", state_reason = ?2, finished_at = ?3, pause_cause "
                 "= " SQL_PAUSE_CAUSE_NONE ", cancelled = cancelled + queued, "
                 "queued = 0 WHERE id = ?1"));
  st->Bind(1, request.job_id);
  st->Bind(2, ByActor("cancelled", request));
  st->Bind(3, now);
  RETURN_IF_ERROR(st->Run());
  effects->changed_jobs.insert(std::string(request.job_id));
  effects->finished_jobs.insert(std::string(request.job_id));
  return absl::OkStatus();
}

absl::Status PauseJob(Connection& db, const ControlRequest& request,
                      int64_t now, WriteEffects* effects) {
  ASSIGN_OR_RETURN(JobRow job, ReadJobRow(db, request.job_id));
  if (IsTerminal(job.state)) {
    return Refused(request,
                   absl::StrCat("already ended (", JobStateWord(job.state),
                                "); there is nothing to pause"));
  }
  if (job.state == v1::JOB_STATE_PAUSED) {
    return Refused(request,
                   absl::StrCat("is already paused (", job.reason,
                                "); resume it with `mdefleetctl jobs resume ",
                                request.job_id, "`"));
  }
  RETURN_IF_ERROR(SetState(db, request.job_id, v1::JOB_STATE_PAUSED,
                           ByActor("paused", request)));
  effects->changed_jobs.insert(std::string(request.job_id));
  return absl::OkStatus();
}

absl::Status ResumeJob(Connection& db, const ControlRequest& request,
                       int64_t now, WriteEffects* effects) {
  ASSIGN_OR_RETURN(JobRow job, ReadJobRow(db, request.job_id));
  if (IsTerminal(job.state)) {
    return Refused(request,
                   absl::StrCat("already ended (", JobStateWord(job.state),
                                "); there is nothing to resume"));
  }
  if (job.state != v1::JOB_STATE_PAUSED) {
    return Refused(
        request, absl::StrCat("is not paused (", JobStateWord(job.state), ")"));
  }
  const v1::JobState state =
      job.started > 0 ? v1::JOB_STATE_RUNNING : v1::JOB_STATE_PENDING;
  RETURN_IF_ERROR(
      SetState(db, request.job_id, state, ByActor("resumed", request)));
  effects->changed_jobs.insert(std::string(request.job_id));
  ASSIGN_OR_RETURN(const JobRollout rollout, ReadRollout(db, request.job_id));
  const scheduler::ResumeStep step =
      scheduler::DecideResume(rollout, job.pause_cause);
  if (step.open_first_wave_now) {
    return OpenNextWave(db, rollout, now, now, effects);
  }
  effects->freed_slots[std::string(request.job_id)] += step.wake;
  return MaybeAdvanceWave(db, rollout, now, effects);
}

absl::StatusOr<int> RetryFailedTasks(Connection& db,
                                     const ControlRequest& request, int64_t now,
                                     WriteEffects* effects) {
  ASSIGN_OR_RETURN(JobRow job, ReadJobRow(db, request.job_id));
  if (job.state == v1::JOB_STATE_CANCELLED) {
    return Refused(request, "was cancelled; submit a new job");
  }
  if (job.state == v1::JOB_STATE_EXPIRED ||
      (job.deadline_at.has_value() && *job.deadline_at <= now)) {
    return Refused(request,
                   "is past its deadline; submit a new job with a later "
                   "--deadline");
  }
  if (job.failures == 0) {
    return Refused(request,
                   absl::StrCat("has no failed or timed-out tasks to retry (",
                                JobStateWord(job.state), ")"));
  }
  ASSIGN_OR_RETURN(const JobRollout rollout, ReadRollout(db, request.job_id));
  std::vector<TaskKey> failed;
  std::vector<std::string> messages;
  int64_t in_current_wave = 0;
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT id, state, attempt, message, wave FROM tasks WHERE "
                   "job_id = ?1 AND state IN (" SQL_TASK_FAILED
                   ", " SQL_TASK_TIMED_OUT ")"));
    st->Bind(1, request.job_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      failed.push_back(TaskKey{st->ColumnText(0), std::string(request.job_id),
                               static_cast<v1::TaskState>(st->ColumnInt(1)),
                               st->ColumnInt(2)});
      messages.push_back(st->ColumnText(3));
      if (st->ColumnOptionalInt(4) == rollout.wave) ++in_current_wave;
    }
  }
  if (in_current_wave > 0) {
    // Failures of the current wave are forgotten and their slots given back:
    // the tasks take a slot again when they are leased (failed canaries run
    // as canaries again).
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE jobs SET wave_leased = CASE WHEN wave_leased > "
                   "?2 THEN wave_leased - ?2 ELSE 0 END, wave_failed = CASE "
                   "WHEN wave_failed > ?2 THEN wave_failed - ?2 ELSE 0 END "
                   "WHERE id = ?1"));
    st->Bind(1, request.job_id);
    st->Bind(2, in_current_wave);
    RETURN_IF_ERROR(st->Run());
  }
  for (size_t i = 0; i < failed.size(); ++i) {
    RETURN_IF_ERROR(RequeueTask(
        db, failed[i],
        {.automatic = false,
         .not_before = 0,
         .message = absl::StrCat(ByActor("queued again", request), " (attempt ",
                                 failed[i].attempt, ": ", messages[i], ")"),
         .pending_message = "not run: an earlier step ended the task",
         .running_message = {}},
        now, effects));
  }
  const int n = static_cast<int>(failed.size());
  if (job.state != v1::JOB_STATE_PAUSED) {
    RETURN_IF_ERROR(
        SetState(db, request.job_id, v1::JOB_STATE_RUNNING,
                 absl::StrCat("retrying ", n, n == 1 ? " task (" : " tasks (",
                              ByActor("retry-failed", request), ")")));
  }
  effects->changed_jobs.insert(std::string(request.job_id));
  effects->freed_slots[std::string(request.job_id)] += scheduler::WakeCount(n);
  return n;
}

}  // namespace mdefleet::store

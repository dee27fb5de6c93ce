#include "server/store/step_reports.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/plan/plan.h"
#include "common/status_macros.h"
#include "mdefleet/v1/plan.pb.h"
#include "server/scheduler/lease_rules.h"
#include "server/store/defender_confirmations.h"
#include "server/store/held_lease.h"
#include "server/store/retries.h"
#include "server/store/sql_states.h"
#include "server/store/time_util.h"

namespace mdefleet::store {
namespace {

constexpr size_t kMaxOutputTail = 4096;
constexpr size_t kMaxMessage = 2048;

absl::string_view Tail(absl::string_view text, size_t max) {
  return text.size() <= max ? text : text.substr(text.size() - max);
}

bool IsFinalStepState(v1::StepState s) {
  return s == v1::STEP_STATE_SUCCEEDED || s == v1::STEP_STATE_FAILED ||
         s == v1::STEP_STATE_SKIPPED;
}

// The class of the failure a report ends the task with, from the task's
// stored plan and the reported exit code.
[[nodiscard]] absl::StatusOr<v1::FailureClass> ClassifyReportedFailure(
    Connection& db, const v1::ReportStepRequest& report) {
  // Not run again after a runner restart: another attempt may run it.
  if (report.interrupted()) return v1::FAILURE_CLASS_RETRYABLE;
  // The task failed on earlier findings (continue_on_failure steps): a
  // check's result, not a transient failure.
  if (report.state() != v1::STEP_STATE_FAILED) return v1::FAILURE_CLASS_FINAL;
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT p.plan FROM task_plans tp JOIN plans p ON "
                 "p.id = tp.plan_id WHERE tp.task_id = ?1"));
  st->Bind(1, report.task_id());
  ASSIGN_OR_RETURN(bool row, st->Step());
  v1::Plan plan;
  if (!row || !plan.ParseFromString(st->ColumnBlob(0))) {
    return absl::DataLossError(
        absl::StrCat("task ", report.task_id(), ": unreadable plan"));
  }
  if (report.step_index() >= static_cast<uint32_t>(plan.steps_size())) {
    return v1::FAILURE_CLASS_FINAL;
  }
  std::optional<int32_t> exit_code;
  if (report.has_exit_code()) exit_code = report.exit_code();
  return ClassifyStepFailure(plan.steps(static_cast<int>(report.step_index())),
                             exit_code);
}

// The task message when a task fails on several findings, or on findings
// before a step that did not fail (continue_on_failure): "2 checks failed:
// check_a: <message>; check_b: <message>". Empty when exactly the reported
// step failed (the usual "<step>: <message>" says it all).
[[nodiscard]] absl::StatusOr<std::string> FindingsMessage(
    Connection& db, const std::string& task_id, int64_t attempt,
    const v1::ReportStepRequest& report) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT name, message FROM steps WHERE task_id = ?1 AND "
                 "attempt = ?2 AND state = ?3 ORDER BY idx"));
  st->Bind(1, task_id);
  st->Bind(2, attempt);
  st->Bind(3, static_cast<int64_t>(v1::STEP_STATE_FAILED));
  std::vector<std::string> findings;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    findings.push_back(
        absl::StrCat(st->ColumnText(0), ": ", st->ColumnText(1)));
  }
  if (findings.empty() ||
      (findings.size() == 1 && report.state() == v1::STEP_STATE_FAILED)) {
    return std::string();
  }
  return absl::StrCat(
      findings.size(),
      findings.size() == 1 ? " check failed: " : " checks failed: ",
      absl::StrJoin(findings, "; "));
}

// The report's own fields, before anything is read.
[[nodiscard]] absl::Status CheckReportFields(
    const v1::ReportStepRequest& report) {
  if (report.task_id().empty()) {
    return absl::InvalidArgumentError("task_id: required");
  }
  if (report.state() != v1::STEP_STATE_RUNNING &&
      !IsFinalStepState(report.state())) {
    return absl::InvalidArgumentError(
        "state: must be RUNNING, SUCCEEDED, FAILED or SKIPPED");
  }
  const v1::TaskState end_state = report.task_state();
  if (end_state != v1::TASK_STATE_UNSPECIFIED &&
      end_state != v1::TASK_STATE_SUCCEEDED &&
      end_state != v1::TASK_STATE_FAILED &&
      end_state != v1::TASK_STATE_SKIPPED) {
    return absl::InvalidArgumentError(
        "task_state: must be SUCCEEDED, FAILED or SKIPPED when set");
  }
  if (end_state != v1::TASK_STATE_UNSPECIFIED &&
      !IsFinalStepState(report.state())) {
    return absl::InvalidArgumentError(
        "task_state: only a finished step can end the task");
  }
  return absl::OkStatus();
}

struct StoredStep {
  v1::StepState state = v1::STEP_STATE_UNSPECIFIED;
  std::string name;
  std::string message;
};

[[nodiscard]] absl::StatusOr<StoredStep> ReadStoredStep(Connection& db,
                                                        const HeldLease& task,
                                                        uint32_t step_index) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT state, message, name FROM steps WHERE task_id = ?1 "
                 "AND attempt = ?2 AND idx = ?3"));
  st->Bind(1, task.task_id);
  st->Bind(2, task.attempt);
  st->Bind(3, static_cast<int64_t>(step_index));
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return absl::InvalidArgumentError(absl::StrCat(
        "step_index: task ", task.task_id, " has no step ", step_index));
  }
  return StoredStep{.state = static_cast<v1::StepState>(st->ColumnInt(0)),
                    .name = st->ColumnText(2),
                    .message = st->ColumnText(1)};
}

// Idempotency: a repeated report (also after it ended the task) or a late
// RUNNING after the step finished changes nothing. A RUNNING report with a
// new message for a running step is progress ("waiting for the maintenance
// window ...", "rebooting (...)"): recorded like a report.
bool IsRepeatedReport(const StoredStep& stored,
                      const v1::ReportStepRequest& report) {
  const bool progress = stored.state == v1::STEP_STATE_RUNNING &&
                        report.state() == v1::STEP_STATE_RUNNING &&
                        report.message() != stored.message;
  return (stored.state == report.state() && !progress) ||
         (report.state() == v1::STEP_STATE_RUNNING &&
          IsFinalStepState(stored.state));
}

[[nodiscard]] absl::Status RecordStep(Connection& db, const HeldLease& task,
                                      const v1::ReportStepRequest& report,
                                      int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE steps SET state = ?4, started_at = "
                 "coalesce(?5, started_at, ?9), finished_at = ?6, exit_code "
                 "= ?7, message = ?8, output_tail = ?10 WHERE task_id = ?1 "
                 "AND attempt = ?2 AND idx = ?3"));
  st->Bind(1, task.task_id);
  st->Bind(2, task.attempt);
  st->Bind(3, static_cast<int64_t>(report.step_index()));
  st->Bind(4, static_cast<int64_t>(report.state()));
  st->Bind(5, TimestampMicros(report.started_at()));
  if (IsFinalStepState(report.state())) {
    st->Bind(6, TimestampMicros(report.finished_at()).value_or(now));
  } else {
    st->BindNull(6);
  }
  if (report.has_exit_code()) {
    st->Bind(7, static_cast<int64_t>(report.exit_code()));
  } else {
    st->BindNull(7);
  }
  st->Bind(8, Tail(report.message(), kMaxMessage));
  st->Bind(9, now);
  st->Bind(10, Tail(report.output_tail(), kMaxOutputTail));
  return st->Run();
}

// The holder is alive: renew, and LEASED -> RUNNING.
[[nodiscard]] absl::Status RenewAndRun(Connection& db, HeldLease& task,
                                       int64_t now,
                                       absl::Duration lease_duration,
                                       WriteEffects* effects) {
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("UPDATE tasks SET state = " SQL_TASK_RUNNING
                                ", lease_expires_at = ?2 WHERE id = ?1"));
    st->Bind(1, task.task_id);
    st->Bind(2,
             scheduler::RenewedLeaseExpiry(now, lease_duration, task.started_at,
                                           task.task_timeout_micros));
    RETURN_IF_ERROR(st->Run());
  }
  if (task.state == v1::TASK_STATE_LEASED) {
    RETURN_IF_ERROR(MoveTaskCounter(db, task.job_id, v1::TASK_STATE_LEASED,
                                    v1::TASK_STATE_RUNNING));
    task.state = v1::TASK_STATE_RUNNING;
    effects->changed_jobs.insert(task.job_id);
  }
  return absl::OkStatus();
}

// The message of a task the report ends unsuccessfully: "<step>: <message>",
// or the findings when there are several.
[[nodiscard]] absl::StatusOr<std::string> EndMessage(
    Connection& db, const HeldLease& task, const StoredStep& step,
    const v1::ReportStepRequest& report) {
  std::string message =
      absl::StrCat(step.name, ": ", Tail(report.message(), kMaxMessage));
  if (report.task_state() != v1::TASK_STATE_FAILED) return message;
  ASSIGN_OR_RETURN(std::string findings,
                   FindingsMessage(db, task.task_id, task.attempt, report));
  if (findings.empty()) return message;
  if (findings.size() > kMaxMessage) {
    findings = absl::StrCat(findings.substr(0, kMaxMessage - 3), "...");
  }
  return findings;
}

// A failed task queued again when its job allows an automatic retry and the
// failure is retryable; false when it was not.
[[nodiscard]] absl::StatusOr<bool> MaybeRetry(
    Connection& db, const TaskKey& key, const v1::ReportStepRequest& report,
    absl::string_view message, int64_t now, WriteEffects* effects) {
  ASSIGN_OR_RETURN(std::optional<RetrySlot> retry,
                   AutomaticRetry(db, key, now));
  if (!retry.has_value()) return false;
  ASSIGN_OR_RETURN(v1::FailureClass failure,
                   ClassifyReportedFailure(db, report));
  if (failure != v1::FAILURE_CLASS_RETRYABLE) return false;
  RETURN_IF_ERROR(RequeueTask(
      db, key,
      {.automatic = true,
       .not_before = retry->at,
       .message = absl::StrCat("attempt ", key.attempt, " failed (", message,
                               "); ", scheduler::RetryNote(*retry)),
       .pending_message = "not run: an earlier step failed; retrying",
       .running_message = {}},
      now, effects));
  return true;
}

// The report's step ended the task (task_state set): retried, handed over to
// the server (onboard's confirm_in_defender), or ended.
[[nodiscard]] absl::Status EndTaskOnReport(Connection& db, const TaskKey& key,
                                           const HeldLease& task,
                                           const StoredStep& step,
                                           const v1::ReportStepRequest& report,
                                           int64_t now, ReportOutcome& outcome,
                                           WriteEffects* effects) {
  const v1::TaskState end_state = report.task_state();
  std::string message;
  if (end_state != v1::TASK_STATE_SUCCEEDED) {
    ASSIGN_OR_RETURN(message, EndMessage(db, task, step, report));
  }
  if (end_state == v1::TASK_STATE_FAILED && !outcome.cancel) {
    ASSIGN_OR_RETURN(outcome.retried,
                     MaybeRetry(db, key, report, message, now, effects));
    if (outcome.retried) return absl::OkStatus();
  }
  if (end_state == v1::TASK_STATE_SUCCEEDED && !outcome.cancel) {
    ASSIGN_OR_RETURN(
        bool handed_over,
        HandOverToServer(db, key, report.step_index(), now, effects));
    if (handed_over) return absl::OkStatus();
  }
  return EndTask(db, key,
                 {.to = end_state,
                  .message = message,
                  .pending_message = "not run: an earlier step ended the task",
                  .running_message = {}},
                 now, effects);
}

}  // namespace

absl::StatusOr<ReportOutcome> ApplyStepReport(
    Connection& db, absl::string_view device_id,
    const v1::ReportStepRequest& report, int64_t now,
    absl::Duration lease_duration, WriteEffects* effects) {
  RETURN_IF_ERROR(CheckReportFields(report));
  const std::string& task_id = report.task_id();
  ASSIGN_OR_RETURN(HeldLease task,
                   LoadHeldLease(db, task_id, device_id, report.lease_id(),
                                 static_cast<int64_t>(report.attempt())));
  ASSIGN_OR_RETURN(const StoredStep stored,
                   ReadStoredStep(db, task, report.step_index()));
  ReportOutcome outcome;
  outcome.cancel = task.job_state == v1::JOB_STATE_CANCELLED;
  if (outcome.cancel) outcome.cancel_reason = task.job_reason;
  if (IsRepeatedReport(stored, report)) {
    outcome.repeat = true;
    if (IsTerminal(task.state) && stored.state != report.state()) {
      return LeaseLost(task_id, absl::StrCat("already ended (",
                                             TaskStateWord(task.state), ")"));
    }
    return outcome;
  }
  if (IsTerminal(task.state)) {
    return LeaseLost(task_id, absl::StrCat("already ended (",
                                           TaskStateWord(task.state), ")"));
  }
  if (task.lease_expires_at <= now) {
    return LeaseLost(task_id,
                     scheduler::TaskTimeoutReached(now, task.started_at,
                                                   task.task_timeout_micros)
                         ? "reached its task timeout"
                         : "lease expired");
  }
  RETURN_IF_ERROR(RecordStep(db, task, report, now));
  RETURN_IF_ERROR(RenewAndRun(db, task, now, lease_duration, effects));

  const TaskKey key{task_id, task.job_id, task.state, task.attempt};
  if (report.task_state() != v1::TASK_STATE_UNSPECIFIED) {
    RETURN_IF_ERROR(
        EndTaskOnReport(db, key, task, stored, report, now, outcome, effects));
  } else if (outcome.cancel && IsFinalStepState(report.state())) {
    RETURN_IF_ERROR(EndTask(
        db, key,
        {.to = v1::TASK_STATE_CANCELLED,
         .message = absl::StrCat("stopped after step ", report.step_index(),
                                 ": ", task.job_reason),
         .pending_message = "not run: job cancelled",
         .running_message = {}},
        now, effects));
  } else {
    effects->changed_jobs.insert(task.job_id);
  }
  return outcome;
}

}  // namespace mdefleet::store

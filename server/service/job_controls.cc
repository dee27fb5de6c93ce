// AdminHandlers' job controls: cancel, pause, resume, retry-failed, each
// audited in the transaction that acts.
#include "server/store/job_controls.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/admin_handlers.h"
#include "server/service/log.h"
#include "server/store/audit.h"
#include "server/store/time_util.h"
#include "server/store/transaction.h"

namespace mdefleet::service {
namespace {

constexpr size_t kMaxReason = 512;

// A refusal is the caller's doing (unknown job, a state that does not allow
// the action, a bad request); anything else is the server's failure.
absl::string_view Outcome(const absl::Status& status) {
  if (status.ok()) return store::kAuditOk;
  switch (status.code()) {
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kInvalidArgument:
      return store::kAuditRefused;
    default:
      return store::kAuditError;
  }
}

}  // namespace

absl::StatusOr<v1::Job> AdminHandlers::RunControl(
    absl::string_view authorization, absl::string_view action,
    absl::string_view job_id, absl::string_view reason, ControlFn fn) {
  ASSIGN_OR_RETURN(const std::string actor,
                   auth_.AuthenticateAdmin(authorization));
  if (reason.size() > kMaxReason) {
    return absl::InvalidArgumentError(
        absl::StrCat("reason: at most ", kMaxReason, " characters"));
  }
  const int64_t now = store::ToMicros(clock_.Now());
  const store::ControlRequest request{job_id, actor, reason};
  absl::Status outcome;
  std::string detail(reason);
  store::WriteEffects effects;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    {
      store::Savepoint action_savepoint(db, "mdf_control");
      RETURN_IF_ERROR(action_savepoint.status());
      outcome = fn(db, request, now, &effects, &detail);
      if (outcome.ok()) outcome = action_savepoint.Release();
      // Not released: the action's changes are rolled back here.
    }
    if (!outcome.ok()) {
      effects = store::WriteEffects();
      detail = std::string(outcome.message());
    }
    return store::AppendAudit(db, {.at = now,
                                   .actor = actor,
                                   .action = std::string(action),
                                   .target = std::string(job_id),
                                   .outcome = std::string(Outcome(outcome)),
                                   .detail = detail});
  }));
  if (!outcome.ok()) {
    LogEvent(absl::StrCat(action, " of job ", job_id, " by ", actor,
                          " refused: ", outcome.message()));
    return outcome;
  }
  LogEvent(absl::StrCat(action, " of job ", job_id, " by ", actor,
                        detail.empty() ? "" : absl::StrCat(": ", detail)));
  hub_.Publish(effects);
  return ReadJob(job_id, /*details=*/true);
}

absl::StatusOr<v1::Job> AdminHandlers::CancelJob(
    absl::string_view authorization, const v1::CancelJobRequest& request) {
  return RunControl(
      authorization, store::kAuditCancelJob, request.job_id(), request.reason(),
      [](store::Connection& db, const store::ControlRequest& r, int64_t now,
         store::WriteEffects* effects,
         std::string*) { return store::CancelJob(db, r, now, effects); });
}

absl::StatusOr<v1::Job> AdminHandlers::PauseJob(
    absl::string_view authorization, const v1::PauseJobRequest& request) {
  return RunControl(
      authorization, store::kAuditPauseJob, request.job_id(), request.reason(),
      [](store::Connection& db, const store::ControlRequest& r, int64_t now,
         store::WriteEffects* effects,
         std::string*) { return store::PauseJob(db, r, now, effects); });
}

absl::StatusOr<v1::Job> AdminHandlers::ResumeJob(
    absl::string_view authorization, const v1::ResumeJobRequest& request) {
  return RunControl(
      authorization, store::kAuditResumeJob, request.job_id(), request.reason(),
      [](store::Connection& db, const store::ControlRequest& r, int64_t now,
         store::WriteEffects* effects,
         std::string*) { return store::ResumeJob(db, r, now, effects); });
}

absl::StatusOr<v1::Job> AdminHandlers::RetryFailed(
    absl::string_view authorization, const v1::RetryFailedRequest& request) {
  return RunControl(
      authorization, store::kAuditRetryFailed, request.job_id(),
      request.reason(),
      [](store::Connection& db, const store::ControlRequest& r, int64_t now,
         store::WriteEffects* effects, std::string* detail) -> absl::Status {
        ASSIGN_OR_RETURN(int queued,
                         store::RetryFailedTasks(db, r, now, effects));
        *detail =
            absl::StrCat(queued, queued == 1 ? " task" : " tasks",
                         " queued again", detail->empty() ? "" : ": ", *detail);
        return absl::OkStatus();
      });
}

}  // namespace mdefleet::service

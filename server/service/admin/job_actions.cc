// JobHandlers' controls: cancel, pause, resume, retry-failed, each
// audited in the transaction that acts.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/admin/job_handlers.h"
#include "server/store/job_controls.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

constexpr size_t kMaxReason = 512;

}  // namespace

absl::StatusOr<v1::Job> JobHandlers::RunControl(absl::string_view authorization,
                                                absl::string_view method,
                                                absl::string_view job_id,
                                                absl::string_view reason,
                                                ControlFn fn) {
  store::WriteEffects effects;
  RETURN_IF_ERROR(audited_.Run(
      authorization, method, job_id, std::string(reason),
      [&](store::Connection& db, const auth::Principal& who, int64_t now,
          std::string* detail) -> absl::Status {
        effects = store::WriteEffects();  // a retried transaction starts over
        if (reason.size() > kMaxReason) {
          return absl::InvalidArgumentError(
              absl::StrCat("reason: at most ", kMaxReason, " characters"));
        }
        const store::ControlRequest request{job_id, who.name, reason};
        absl::Status status = fn(db, request, now, &effects, detail);
        if (!status.ok()) effects = store::WriteEffects();
        return status;
      }));
  hub_.Publish(effects);
  return ReadJob(job_id, /*details=*/true);
}

absl::StatusOr<v1::Job> JobHandlers::CancelJob(
    absl::string_view authorization, const v1::CancelJobRequest& request) {
  return RunControl(
      authorization, "CancelJob", request.job_id(), request.reason(),
      [](store::Connection& db, const store::ControlRequest& r, int64_t now,
         store::WriteEffects* effects,
         std::string*) { return store::CancelJob(db, r, now, effects); });
}

absl::StatusOr<v1::Job> JobHandlers::PauseJob(
    absl::string_view authorization, const v1::PauseJobRequest& request) {
  return RunControl(
      authorization, "PauseJob", request.job_id(), request.reason(),
      [](store::Connection& db, const store::ControlRequest& r, int64_t now,
         store::WriteEffects* effects,
         std::string*) { return store::PauseJob(db, r, now, effects); });
}

absl::StatusOr<v1::Job> JobHandlers::ResumeJob(
    absl::string_view authorization, const v1::ResumeJobRequest& request) {
  return RunControl(
      authorization, "ResumeJob", request.job_id(), request.reason(),
      [](store::Connection& db, const store::ControlRequest& r, int64_t now,
         store::WriteEffects* effects,
         std::string*) { return store::ResumeJob(db, r, now, effects); });
}

absl::StatusOr<v1::Job> JobHandlers::RetryFailed(
    absl::string_view authorization, const v1::RetryFailedRequest& request) {
  return RunControl(
      authorization, "RetryFailed", request.job_id(), request.reason(),
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

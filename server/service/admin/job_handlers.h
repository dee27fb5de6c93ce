// AdminService's jobs: submission, reads, the watch stream, a task's evidence
// and diagnostics bundle, and the audited controls (cancel, pause, resume,
// retry).
#ifndef MDEFLEET_SERVER_SERVICE_ADMIN_JOB_HANDLERS_H_
#define MDEFLEET_SERVER_SERVICE_ADMIN_JOB_HANDLERS_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/service/admin/admin_options.h"
#include "server/service/admin/audited.h"
#include "server/service/event_hub.h"
#include "server/service/stream_slots.h"
#include "server/store/job_controls.h"
#include "server/store/store.h"

namespace mdefleet::service {

class JobHandlers {
 public:
  JobHandlers(store::Store& store, const Clock& clock, Audited& audited,
              EventHub& hub, AdminOptions options)
      : store_(store),
        clock_(clock),
        audited_(audited),
        hub_(hub),
        options_(options),
        watch_slots_(options.watch_streams, "WatchJob",
                     "--max-watch-streams-per-token", "--max-watch-streams") {}

  // Validates, resolves target and artifacts, plans every device; stores the
  // job and its tasks in one transaction unless dry_run (job_submit.cc).
  // Errors name the field and store nothing; a refusal is audited.
  [[nodiscard]] absl::StatusOr<v1::SubmitJobResponse> SubmitJob(
      absl::string_view authorization, const v1::SubmitJobRequest& request);
  [[nodiscard]] absl::StatusOr<v1::Job> GetJob(
      absl::string_view authorization, const v1::GetJobRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ListJobsResponse> ListJobs(
      absl::string_view authorization, const v1::ListJobsRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ListTasksResponse> ListTasks(
      absl::string_view authorization, const v1::ListTasksRequest& request);
  // The evidence of one device's task in a job (store/evidence.h). NotFound
  // when the job, the device's task or the step name does not exist.
  [[nodiscard]] absl::StatusOr<v1::GetTaskEvidenceResponse> GetTaskEvidence(
      absl::string_view authorization,
      const v1::GetTaskEvidenceRequest& request);
  // Writes one device's MDEClientAnalyzer result bundle
  // (store/diagnostics.h) in chunks of at most 1 MiB, the first with its
  // summary, size and SHA-256 (job_diagnostics_bundle.cc).
  // InvalidArgument naming job_id/device_id when missing; NotFound when the
  // job, its task on the device or the bundle does not exist; Cancelled when
  // the client went away (`write` false).
  [[nodiscard]] absl::Status GetDiagnosticsBundle(
      absl::string_view authorization,
      const v1::GetDiagnosticsBundleRequest& request,
      absl::FunctionRef<bool(const v1::DiagnosticsBundleChunk&)> write);
  // Writes the job now and after every change until it is final (then Ok),
  // the client goes away (`write` false or `cancelled` true: Cancelled)
  // (job_watch.cc). ResourceExhausted naming the flag when the token already
  // has options.watch_streams.per_credential streams open, or the server
  // options.watch_streams.total; a stream's place is given back when it
  // returns.
  [[nodiscard]] absl::Status WatchJob(
      absl::string_view authorization, const v1::WatchJobRequest& request,
      absl::FunctionRef<bool(const v1::Job&)> write,
      absl::FunctionRef<bool()> cancelled);
  // Job controls (job_actions.cc). Each writes an audit row (the token's
  // name, the action, the job, ok or refused with why) in the transaction of
  // the action; a refusal (FailedPrecondition/NotFound naming job_id)
  // changes nothing else. Unauthenticated calls are not audited.
  [[nodiscard]] absl::StatusOr<v1::Job> CancelJob(
      absl::string_view authorization, const v1::CancelJobRequest& request);
  [[nodiscard]] absl::StatusOr<v1::Job> PauseJob(
      absl::string_view authorization, const v1::PauseJobRequest& request);
  [[nodiscard]] absl::StatusOr<v1::Job> ResumeJob(
      absl::string_view authorization, const v1::ResumeJobRequest& request);
  [[nodiscard]] absl::StatusOr<v1::Job> RetryFailed(
      absl::string_view authorization, const v1::RetryFailedRequest& request);

  // WatchJob streams open now.
  int64_t open_watch_streams() const { return watch_slots_.open(); }

 private:
  // The job; with `details` also the per-step summary and the GetJob-only
  // rollout counts.
  [[nodiscard]] absl::StatusOr<v1::Job> ReadJob(absl::string_view job_id,
                                                bool details);

  // SubmitJob after Authorize.
  [[nodiscard]] absl::StatusOr<v1::SubmitJobResponse> SubmitAuthorized(
      const auth::Principal& who, const v1::SubmitJobRequest& request);

  // A control action on a job (Audited::Run), then publishes the effects
  // and answers the job as it is now.
  using ControlFn = absl::FunctionRef<absl::Status(
      store::Connection&, const store::ControlRequest&, int64_t,
      store::WriteEffects*, std::string* detail)>;
  [[nodiscard]] absl::StatusOr<v1::Job> RunControl(
      absl::string_view authorization, absl::string_view method,
      absl::string_view job_id, absl::string_view reason, ControlFn fn);

  store::Store& store_;
  const Clock& clock_;
  Audited& audited_;
  EventHub& hub_;
  const AdminOptions options_;
  StreamSlots watch_slots_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ADMIN_JOB_HANDLERS_H_

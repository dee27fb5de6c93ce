// AdminService logic, testable without gRPC: each method takes the
// "authorization" metadata value first and checks the token and the role the
// method requires (access.proto) before anything else.
#ifndef MDEFLEET_SERVER_SERVICE_ADMIN_ADMIN_HANDLERS_H_
#define MDEFLEET_SERVER_SERVICE_ADMIN_ADMIN_HANDLERS_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/auth/authenticator.h"
#include "server/service/event_hub.h"
#include "server/service/stream_slots.h"
#include "server/store/job_controls.h"
#include "server/store/store.h"

namespace mdefleet::service {

// A device unseen this long needs offboarding through the API (default of
// GetFleetSummaryRequest.offline_for / ListDevicesRequest.offline_for).
inline constexpr absl::Duration kDefaultOfflineFor = absl::Hours(24 * 7);

struct AdminOptions {
  absl::Duration online_window = absl::Seconds(90);
  // WatchJob re-reads at most this often while a job changes.
  absl::Duration watch_interval = absl::Milliseconds(200);
  // The server was started with Defender API credentials (api_offboard).
  bool defender_api_configured = false;
  // Open WatchJob streams per API token and in all (stream_slots.h).
  StreamLimits watch_streams{};
  // How long failed steps' evidence is kept (serve --evidence-retention).
  absl::Duration evidence_retention = absl::Hours(24 * 30);
};

inline constexpr uint64_t kMaxArtifactSize = 512ull << 20;  // 512 MiB

// ListDevices and ListTasks pages: page_size 0 means the default; larger
// values are capped at the maximum. ListJobs: limit 0 means 50, capped.
inline constexpr uint32_t kDefaultPageSize = 500;
inline constexpr uint32_t kMaxPageSize = 5000;
inline constexpr uint32_t kMaxListJobsLimit = 1000;

class AdminHandlers {
 public:
  AdminHandlers(store::Store& store, const Clock& clock,
                auth::Authenticator& auth, EventHub& hub, AdminOptions options)
      : store_(store),
        clock_(clock),
        auth_(auth),
        hub_(hub),
        options_(options),
        watch_slots_(options.watch_streams, "WatchJob",
                     "--max-watch-streams-per-token", "--max-watch-streams") {}

  [[nodiscard]] absl::StatusOr<v1::ListDevicesResponse> ListDevices(
      absl::string_view authorization, const v1::ListDevicesRequest& request);
  // NotFound "device_id: no device \"x\"".
  [[nodiscard]] absl::StatusOr<v1::Device> GetDevice(
      absl::string_view authorization, const v1::GetDeviceRequest& request);
  // Counts by OS family x MDE state and by need (inventory_summary.cc).
  [[nodiscard]] absl::StatusOr<v1::FleetSummary> GetFleetSummary(
      absl::string_view authorization,
      const v1::GetFleetSummaryRequest& request);
  // Validates, resolves target and artifacts, plans every device; stores the
  // job and its tasks in one transaction unless dry_run. Errors name the
  // field and store nothing.
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
  // the client goes away (`write` false or `cancelled` true: Cancelled).
  // ResourceExhausted naming the flag when the token already has
  // options.watch_streams.per_credential streams open, or the server
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
  // Reads the stream through `read` (false at its end): a header, then
  // content chunks. Content-addressed: the same bytes again return the stored
  // artifact.
  [[nodiscard]] absl::StatusOr<v1::Artifact> UploadArtifact(
      absl::string_view authorization,
      absl::FunctionRef<bool(v1::UploadArtifactRequest*)> read);
  [[nodiscard]] absl::StatusOr<v1::ListArtifactsResponse> ListArtifacts(
      absl::string_view authorization, const v1::ListArtifactsRequest& request);
  // The audit log, newest first, one page (audit_handlers.cc). Read-only and
  // not audited. InvalidArgument names the field of a bad filter ("outcome:
  // expected ok, refused or error", "since: must be before until",
  // "page_size: at most 1000", "page_token: malformed").
  [[nodiscard]] absl::StatusOr<v1::ListAuditLogResponse> ListAuditLog(
      absl::string_view authorization, const v1::ListAuditLogRequest& request);

  // Tokens, enrollment secrets, device revocation and identity resets
  // (access_tokens.cc).
  // Each is audited like the job controls. Errors name the field.
  [[nodiscard]] absl::StatusOr<v1::CreateTokenResponse> CreateToken(
      absl::string_view authorization, const v1::CreateTokenRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ListTokensResponse> ListTokens(
      absl::string_view authorization, const v1::ListTokensRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ApiToken> RevokeToken(
      absl::string_view authorization, const v1::RevokeTokenRequest& request);
  [[nodiscard]] absl::StatusOr<v1::CreateTokenResponse> RotateToken(
      absl::string_view authorization, const v1::RotateTokenRequest& request);
  [[nodiscard]] absl::StatusOr<v1::CreateEnrollmentSecretResponse>
  CreateEnrollmentSecret(absl::string_view authorization,
                         const v1::CreateEnrollmentSecretRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ListEnrollmentSecretsResponse>
  ListEnrollmentSecrets(absl::string_view authorization,
                        const v1::ListEnrollmentSecretsRequest& request);
  [[nodiscard]] absl::StatusOr<v1::EnrollmentSecret> ExpireEnrollmentSecret(
      absl::string_view authorization,
      const v1::ExpireEnrollmentSecretRequest& request);
  [[nodiscard]] absl::StatusOr<v1::EnrollmentSecret> RevokeEnrollmentSecret(
      absl::string_view authorization,
      const v1::RevokeEnrollmentSecretRequest& request);
  [[nodiscard]] absl::StatusOr<v1::Device> RevokeDevice(
      absl::string_view authorization, const v1::RevokeDeviceRequest& request);
  // Lets the next enrollment reporting the device's host identity take it
  // over (one use). InvalidArgument for an empty device_id or reason;
  // NotFound for an unknown device; FailedPrecondition for a revoked device,
  // one without a host identity and a duplicate (store::ResetDeviceIdentity).
  [[nodiscard]] absl::StatusOr<v1::Device> ResetDeviceIdentity(
      absl::string_view authorization,
      const v1::ResetDeviceIdentityRequest& request);

  // WatchJob streams open now.
  int64_t open_watch_streams() const { return watch_slots_.open(); }

 private:
  // The job; with `details` also the per-step summary and the GetJob-only
  // rollout counts.
  absl::StatusOr<v1::Job> ReadJob(absl::string_view job_id, bool details);

  // SubmitJob after Authorize (job_submit.cc).
  absl::StatusOr<v1::SubmitJobResponse> SubmitAuthorizedJob(
      const auth::Principal& who, const v1::SubmitJobRequest& request);

  // The caller, when its token is valid and its role allows AdminService.
  // `method`. A role refusal of an audited method is audited (target: what
  // the call was about, when known).
  absl::StatusOr<auth::Principal> Authorize(absl::string_view authorization,
                                            absl::string_view method,
                                            absl::string_view target = "");

  // Appends the audit row of a failed call of `method` (outside any other
  // write) and logs it; returns `failure`.
  absl::Status AuditFailure(const auth::Principal& who,
                            absl::string_view method, absl::string_view target,
                            const absl::Status& failure);

  // UploadArtifact after Authorize (artifact_handlers.cc).
  absl::StatusOr<v1::Artifact> UploadAuthorizedArtifact(
      const auth::Principal& who,
      absl::FunctionRef<bool(v1::UploadArtifactRequest*)> read);

  // An audited action of `method` on `target`: authorizes, runs `fn` in a
  // write (its changes rolled back when it fails), appends the audit row
  // (who, role, outcome, `detail` or why it failed) in that write either way,
  // and logs it. Returns fn's status.
  using AuditedFn =
      absl::FunctionRef<absl::Status(store::Connection&, const auth::Principal&,
                                     int64_t now, std::string* detail)>;
  absl::Status RunAudited(absl::string_view authorization,
                          absl::string_view method, absl::string_view target,
                          std::string detail, AuditedFn fn);

  // A control action on a job (RunAudited), then publishes the effects and
  // answers the job as it is now.
  using ControlFn = absl::FunctionRef<absl::Status(
      store::Connection&, const store::ControlRequest&, int64_t,
      store::WriteEffects*, std::string* detail)>;
  absl::StatusOr<v1::Job> RunControl(absl::string_view authorization,
                                     absl::string_view method,
                                     absl::string_view job_id,
                                     absl::string_view reason, ControlFn fn);

  store::Store& store_;
  const Clock& clock_;
  auth::Authenticator& auth_;
  EventHub& hub_;
  AdminOptions options_;
  StreamSlots watch_slots_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ADMIN_ADMIN_HANDLERS_H_

// RunnerService logic, testable without gRPC: each method takes the
// "authorization" metadata value and the request.
#ifndef MDEFLEET_SERVER_SERVICE_RUNNER_HANDLERS_H_
#define MDEFLEET_SERVER_SERVICE_RUNNER_HANDLERS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/tls/certificate_authority.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/auth/authenticator.h"
#include "server/service/event_hub.h"
#include "server/service/peer_identity.h"
#include "server/service/seen_flusher.h"
#include "server/store/store.h"

namespace mdefleet::service {

struct RunnerOptions {
  absl::Duration lease_duration = absl::Minutes(10);
  absl::Duration poll_timeout = absl::Seconds(30);  // cap of max_wait
  // Signs the client certificate a runner asks for when it enrolls over TLS
  // (EnrollRequest.csr_pem) or renews it; null: none is issued (no CA key,
  // e.g. the operator's own server certificate).
  const tls::CertificateAuthority* client_ca = nullptr;
  // Every runner RPC but Enroll needs the device's client certificate, and
  // Enroll over TLS a CSR: serve's default with TLS; off with
  // --allow-token-only-runners and without TLS (--plaintext).
  bool require_client_certificate = false;
  // Lifetime of the client certificates issued (serve
  // --client-certificate-lifetime).
  absl::Duration client_certificate_lifetime = tls::kClientValidity;
  // Counts certificates issued by RenewClientCertificate (may be null).
  prometheus::Counter* certificate_renewals = nullptr;
  // mdefleet_enrollments_total{outcome}: one per Enroll call that got past
  // the enrollment secret and the request checks; null: not counted.
  prometheus::Family<prometheus::Counter>* enrollments = nullptr;
  // Where a poll that finds nothing to do (and reports facts as stored)
  // records last-seen without a write transaction of its own; null: every
  // poll writes.
  SeenFlusher* seen = nullptr;
  // Tasks leased or running across the fleet at most (serve
  // --max-tasks-in-flight); 0: no cap. scheduler::LeaseTaskForDevice says why.
  int64_t max_tasks_in_flight = 0;
};

// How an Enroll call ended (the outcome label of
// mdefleet_enrollments_total; enroll.cc says when each happens).
enum class EnrollOutcome {
  kNew,                // a new device
  kReenrolled,         // an existing device, proven by certificate or token
  kIdentityReset,      // an existing device, after an admin's reset-identity
  kDuplicateIdentity,  // a new device: it claimed another's identity
  kRefusedScope,       // refused: another enrollment-secret scope
  kRefusedRevoked,     // refused: the device claimed is revoked
  kRefusedProof,       // refused: a proof that proves nothing (another host,
                       // a wrong device token)
};
inline constexpr EnrollOutcome kEnrollOutcomes[] = {
    EnrollOutcome::kNew,           EnrollOutcome::kReenrolled,
    EnrollOutcome::kIdentityReset, EnrollOutcome::kDuplicateIdentity,
    EnrollOutcome::kRefusedScope,  EnrollOutcome::kRefusedRevoked,
    EnrollOutcome::kRefusedProof};
// "new", "reenrolled", "identity_reset", "duplicate_identity",
// "refused_scope", "refused_revoked", "refused_proof".
absl::string_view EnrollOutcomeName(EnrollOutcome outcome);

inline constexpr size_t kArtifactChunkSize = 64 * 1024;

class RunnerHandlers {
 public:
  RunnerHandlers(store::Store& store, const Clock& clock,
                 auth::Authenticator& auth, EventHub& hub,
                 RunnerOptions options)
      : store_(store),
        clock_(clock),
        auth_(auth),
        hub_(hub),
        options_(options) {}

  // `peer` (every method): what TLS says about the caller; the default is a
  // call without a client certificate. See client_certificates.h.

  // Enrollment secret + facts -> device id and a new device token (enroll.cc).
  // An existing device id only for a caller proving it holds that device
  // (enrollment_proof.h) within the secret's scope, or for the first
  // enrollment after an admin reset that device's identity; any other
  // enrollment reporting a known host identity gets a new device flagged
  // duplicate_identity. Only the token's hash and the host identity's hash
  // are stored. Over TLS with a CSR, also a client certificate for the
  // device. PermissionDenied for a refused re-enrollment or takeover
  // (audited).
  [[nodiscard]] absl::StatusOr<v1::EnrollResponse> Enroll(
      absl::string_view authorization, const v1::EnrollRequest& request,
      const PeerIdentity& peer = {});

  // The device a token belongs to (the first thing a poll does), when the
  // peer's client certificate is that device's current one (or, the first
  // time, its renewed one, which then becomes current), or absent and not
  // required. One indexed read; a write only when the binding changes.
  [[nodiscard]] absl::StatusOr<std::string> AuthenticateDevice(
      absl::string_view authorization, const PeerIdentity& peer = {});

  // A new client certificate for the device of the token and of the
  // current certificate `peer` presents (required whatever the server's
  // setting), for the new key of `request.csr_pem`. It is recorded as the
  // device's renewed certificate: accepted at once, and current once
  // presented. Unauthenticated as AuthenticateDevice; InvalidArgument
  // "csr_pem: ..." for a bad request or the current certificate's key;
  // FailedPrecondition when the server has no CA key.
  [[nodiscard]] absl::StatusOr<v1::RenewClientCertificateResponse>
  RenewClientCertificate(absl::string_view authorization,
                         const v1::RenewClientCertificateRequest& request,
                         const PeerIdentity& peer = {});

  // One poll attempt for an authenticated device: refreshes last-seen and
  // facts (when sent), then leases at most one task. With options().seen, a
  // poll with nothing to lease and no changed facts only reads, and its
  // last-seen is written with others' later (SeenFlusher).
  [[nodiscard]] absl::StatusOr<v1::PollTasksResponse> PollOnce(
      absl::string_view device_id, const v1::PollTasksRequest& request);

  // A lease attempt with the stored facts (for a woken waiting poll).
  [[nodiscard]] absl::StatusOr<v1::PollTasksResponse> TryLease(
      absl::string_view device_id);

  // How long a poll may wait: min(max_wait, poll_timeout); the cap when
  // max_wait is unset.
  absl::Duration PollWait(const v1::PollTasksRequest& request) const;

  [[nodiscard]] absl::StatusOr<v1::ReportStepResponse> ReportStep(
      absl::string_view authorization, const v1::ReportStepRequest& request,
      const PeerIdentity& peer = {});

  // Renews the lease of a task whose step is still running; also marks the
  // device as seen (it does not poll while it works).
  [[nodiscard]] absl::StatusOr<v1::HeartbeatResponse> Heartbeat(
      absl::string_view authorization, const v1::HeartbeatRequest& request,
      const PeerIdentity& peer = {});

  // Stores the evidence of a failed step (store/evidence.h) after checking
  // its bounds (common/evidence_limits.h) and opening every file (a gzip
  // stream of at most kMaxEvidenceFileBytes). INVALID_ARGUMENT naming the
  // field, nothing stored; FAILED_PRECONDITION when the lease is not held.
  [[nodiscard]] absl::StatusOr<v1::UploadEvidenceResponse> UploadEvidence(
      absl::string_view authorization, const v1::UploadEvidenceRequest& request,
      const PeerIdentity& peer = {});

  // Appends one chunk of an MDEClientAnalyzer result bundle
  // (upload_diagnostics.cc; store/diagnostics.h); at the last one checks its
  // SHA-256 and that it is a ZIP, reads its findings and keeps it.
  // INVALID_ARGUMENT naming the field, nothing kept (total_size over
  // client_analyzer::kMaxBundleBytes, data over kMaxChunkBytes or past
  // total_size, offset, sha256, a bundle that is not a ZIP);
  // FAILED_PRECONDITION when the lease is not held.
  [[nodiscard]] absl::StatusOr<v1::UploadDiagnosticsChunkResponse>
  UploadDiagnosticsChunk(absl::string_view authorization,
                         const v1::UploadDiagnosticsChunkRequest& request,
                         const PeerIdentity& peer = {});

  // Streams the artifact in 64 KiB chunks through `write` (false: the client
  // went away). Only for a device holding a live lease on a task whose plan
  // fetches that artifact.
  [[nodiscard]] absl::Status FetchArtifact(
      absl::string_view authorization, const v1::FetchArtifactRequest& request,
      absl::FunctionRef<bool(const v1::ArtifactChunk&)> write,
      const PeerIdentity& peer = {});

  const RunnerOptions& options() const { return options_; }

 private:
  // Leases at most one task for `device_id` with its stored facts, or with
  // `reported` ones; `refresh` also records last-seen (and `reported`).
  [[nodiscard]] absl::StatusOr<v1::PollTasksResponse> Lease(
      absl::string_view device_id, bool refresh,
      std::optional<v1::DeviceFacts> reported);
  // Whether the poll of `device_id` would lease nothing and change no
  // facts: read only. False also when the write path must decide (an
  // unknown device, another host's identity).
  [[nodiscard]] absl::StatusOr<bool> IdlePoll(
      absl::string_view device_id,
      const std::optional<v1::DeviceFacts>& reported, int64_t now);
  // The certificate check of every runner call (client_certificates.h):
  // from the binding read with the token; through the store only when the
  // binding changes (a renewed or adopted certificate).
  [[nodiscard]] absl::Status CheckCertificate(
      const store::DeviceCredential& device, const PeerIdentity& peer,
      bool required);

  // Adds one to mdefleet_enrollments_total{outcome}.
  void CountEnrollment(EnrollOutcome outcome);

  store::Store& store_;
  const Clock& clock_;
  auth::Authenticator& auth_;
  EventHub& hub_;
  RunnerOptions options_;
};

// Facts with the server-derived fields (os_family, os_build, mde_state) set.
v1::DeviceFacts WithDerivedFacts(const v1::DeviceFacts& facts);

// Logs, once, that a device started reporting a senseGuid that `others`
// report (nothing when `others` is empty).
void LogNewClone(absl::string_view device_id, absl::string_view hostname,
                 const std::vector<std::string>& others);

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_RUNNER_HANDLERS_H_

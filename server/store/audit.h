// The append-only audit log of operator actions (table audit_log: triggers
// refuse UPDATE and DELETE). Reading it with filters: audit_query.h.
#ifndef MDEFLEET_SERVER_STORE_AUDIT_H_
#define MDEFLEET_SERVER_STORE_AUDIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// The audited actions. A new audited action is a new name here (the
// ListAuditLog filter accepts exactly these, or their verbs) and new rows.
inline constexpr absl::string_view kAuditSubmitJob = "submit_job";
inline constexpr absl::string_view kAuditPauseJob = "pause_job";
inline constexpr absl::string_view kAuditResumeJob = "resume_job";
inline constexpr absl::string_view kAuditRetryFailed = "retry_failed";
inline constexpr absl::string_view kAuditCancelJob = "cancel_job";
inline constexpr absl::string_view kAuditUploadArtifact = "upload_artifact";
inline constexpr absl::string_view kAuditCreateToken = "create_token";
inline constexpr absl::string_view kAuditRevokeToken = "revoke_token";
inline constexpr absl::string_view kAuditRotateToken = "rotate_token";
inline constexpr absl::string_view kAuditCreateEnrollmentSecret =
    "create_enrollment_secret";
inline constexpr absl::string_view kAuditExpireEnrollmentSecret =
    "expire_enrollment_secret";
inline constexpr absl::string_view kAuditRevokeEnrollmentSecret =
    "revoke_enrollment_secret";
inline constexpr absl::string_view kAuditRevokeDevice = "revoke_device";
inline constexpr absl::string_view kAuditResetDeviceIdentity =
    "reset_device_identity";
// Enrollment (RunnerService.Enroll) into an existing device id, audited
// with the enrollment secret as the actor (EnrollmentActor):
// reenroll_device: the caller proved it holds the device (ok), or did but
// the rules refused it (refused: another enrollment-secret scope, a revoked
// device, another host); take_over_device: the first enrollment after an
// admin's reset_device_identity (ok, or refused across scopes);
// claim_host_identity: an enrollment reported a device's host identity
// without proof (refused: it got a new device flagged duplicate_identity,
// or nothing when that device is revoked).
inline constexpr absl::string_view kAuditReenrollDevice = "reenroll_device";
inline constexpr absl::string_view kAuditTakeOverDevice = "take_over_device";
inline constexpr absl::string_view kAuditClaimHostIdentity =
    "claim_host_identity";
// A server setting changed by `mdefleet-server serve` (target: the
// setting's name, detail: from and to); role kAuditServerRole.
inline constexpr absl::string_view kAuditChangeSettings = "change_settings";
// Every audited action: each audited AdminService method's (AuditAction of
// its name; a test checks the two agree), then the enrollment ones, then the
// server's own.
inline constexpr absl::string_view kAuditActions[] = {
    kAuditSubmitJob,
    kAuditPauseJob,
    kAuditResumeJob,
    kAuditRetryFailed,
    kAuditCancelJob,
    kAuditUploadArtifact,
    kAuditCreateToken,
    kAuditRevokeToken,
    kAuditRotateToken,
    kAuditCreateEnrollmentSecret,
    kAuditExpireEnrollmentSecret,
    kAuditRevokeEnrollmentSecret,
    kAuditRevokeDevice,
    kAuditResetDeviceIdentity,
    kAuditReenrollDevice,
    kAuditTakeOverDevice,
    kAuditClaimHostIdentity,
    kAuditChangeSettings};

// Outcomes (the CHECK constraint of audit_log.outcome).
inline constexpr absl::string_view kAuditOk = "ok";
inline constexpr absl::string_view kAuditRefused = "refused";
inline constexpr absl::string_view kAuditError = "error";

// The actor of the enrollment actions: `enrollment secret "<name>"`.
std::string EnrollmentActor(absl::string_view secret_name);
// Their role column.
inline constexpr absl::string_view kAuditEnrollmentRole = "enrollment";
// The role column of what the server does on its own authority (its flags).
inline constexpr absl::string_view kAuditServerRole = "server";

struct AuditEntry {
  int64_t at = 0;
  std::string actor;   // the credential's name
  std::string action;  // one of kAuditActions
  // The object acted on: a job id for the job actions. Stored in the column
  // audit_log.job_id, named when jobs were the only targets.
  std::string target;
  // "ok"; "refused" (the target's state or the request did not allow it);
  // "error" (the server failed to act). detail says why.
  std::string outcome = std::string(kAuditOk);
  std::string detail;  // the reason the operator gave, or the refusal
  // The credential's role (viewer, operator, admin), or "enrollment" for
  // an enrollment secret.
  std::string role;
};

// Appends one row in the caller's transaction.
[[nodiscard]] absl::Status AppendAudit(Connection& db, const AuditEntry& entry);

// The rows about `target`, oldest first (tests; operators use
// QueryAudit).
[[nodiscard]] absl::StatusOr<std::vector<AuditEntry>> AuditForTarget(
    Connection& db, absl::string_view target);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_AUDIT_H_

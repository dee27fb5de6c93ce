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
// Every audited AdminService method's action (AuditAction of its name; a
// test checks the two agree).
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
    kAuditRevokeDevice};

// Outcomes (the CHECK constraint of audit_log.outcome).
inline constexpr absl::string_view kAuditOk = "ok";
inline constexpr absl::string_view kAuditRefused = "refused";
inline constexpr absl::string_view kAuditError = "error";

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
  std::string role;    // the credential's role (viewer, operator, admin)
};

// Appends one row in the caller's transaction.
[[nodiscard]] absl::Status AppendAudit(Connection& db, const AuditEntry& entry);

// The rows about `target`, oldest first (tests; operators use
// QueryAudit).
[[nodiscard]] absl::StatusOr<std::vector<AuditEntry>> AuditForTarget(
    Connection& db, absl::string_view target);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_AUDIT_H_

// The append-only audit log of operator actions on jobs (table audit_log:
// triggers refuse UPDATE and DELETE).
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

struct AuditEntry {
  int64_t at = 0;
  std::string actor;   // the credential's name
  std::string action;  // submit_job, pause_job, resume_job, retry_failed, ...
  std::string job_id;
  // "ok"; "refused" (the job's state or the request did not allow it);
  // "error" (the server failed to act). detail says why.
  std::string outcome = "ok";
  std::string detail;  // the reason the operator gave, or the refusal
};

// Appends one row in the caller's transaction.
[[nodiscard]] absl::Status AppendAudit(Connection& db, const AuditEntry& entry);

// The rows about `job_id`, oldest first (tests; a CLI comes later).
[[nodiscard]] absl::StatusOr<std::vector<AuditEntry>> AuditForJob(
    Connection& db, absl::string_view job_id);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_AUDIT_H_

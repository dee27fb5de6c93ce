// Reading the audit log (ListAuditLog): filters, newest first, in pages
// keyed by row id.
#ifndef MDEFLEET_SERVER_STORE_AUDIT_QUERY_H_
#define MDEFLEET_SERVER_STORE_AUDIT_QUERY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/audit.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// Empty strings and nullopt match everything; set filters must all hold.
struct AuditFilter {
  std::string actor;  // exactly
  // An action ("pause_job") or its verb ("pause": every "pause_*" action).
  std::string action;
  std::string target;            // exactly (uses the index on the target)
  std::string outcome;           // ok, refused or error
  std::optional<int64_t> since;  // at >= since (micros)
  std::optional<int64_t> until;  // at < until (micros)
};

struct AuditRow {
  int64_t id = 0;
  AuditEntry entry;
};

struct AuditPage {
  std::vector<AuditRow> rows;  // newest (largest id) first
  // Pass as `before_id` for the next page; 0 when this is the last page.
  int64_t next_before_id = 0;
};

// At most `limit` (> 0) rows matching `filter` with an id below `before_id`
// (0: from the newest row), newest first. Filter values are not validated
// here: an unknown outcome simply matches nothing.
[[nodiscard]] absl::StatusOr<AuditPage> QueryAudit(Connection& db,
                                                   const AuditFilter& filter,
                                                   int64_t before_id,
                                                   int64_t limit);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_AUDIT_QUERY_H_

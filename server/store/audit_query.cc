#include "server/store/audit_query.h"

#include <limits>

#include "common/status_macros.h"

namespace mdefleet::store {
namespace {

// Both walk downwards from the cursor: the rowid, or with a target the index
// on (job_id, id), so a page costs the rows it skips, not the pages before.
// ?3 matches an action or its verb ("pause" matches "pause_job"). ?5 and ?6
// are cast so that PostgreSQL knows their type when they are NULL.
constexpr char kQueryAll[] =
    "SELECT id, at, actor, action, job_id, outcome, detail, role FROM "
    "audit_log "
    "WHERE id < ?1 AND (?2 = '' OR actor = ?2) AND (?3 = '' OR action = ?3 "
    "OR substr(action, 1, length(?3) + 1) = ?3 || '_') AND (?4 = '' OR "
    "outcome = ?4) AND (CAST(?5 AS BIGINT) IS NULL OR at >= ?5) AND "
    "(CAST(?6 AS BIGINT) IS NULL OR at < ?6) "
    "ORDER BY id DESC LIMIT ?7";
constexpr char kQueryByTarget[] =
    "SELECT id, at, actor, action, job_id, outcome, detail, role FROM "
    "audit_log "
    "WHERE id < ?1 AND (?2 = '' OR actor = ?2) AND (?3 = '' OR action = ?3 "
    "OR substr(action, 1, length(?3) + 1) = ?3 || '_') AND (?4 = '' OR "
    "outcome = ?4) AND (CAST(?5 AS BIGINT) IS NULL OR at >= ?5) AND "
    "(CAST(?6 AS BIGINT) IS NULL OR at < ?6) "
    "AND job_id = ?8 ORDER BY id DESC LIMIT ?7";

}  // namespace

absl::StatusOr<AuditPage> QueryAudit(Connection& db, const AuditFilter& filter,
                                     int64_t before_id, int64_t limit) {
  if (limit <= 0) return absl::InvalidArgumentError("limit: must be positive");
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare(filter.target.empty() ? kQueryAll : kQueryByTarget));
  st->Bind(1, before_id > 0 ? before_id : std::numeric_limits<int64_t>::max());
  st->Bind(2, filter.actor);
  st->Bind(3, filter.action);
  st->Bind(4, filter.outcome);
  st->Bind(5, filter.since);
  st->Bind(6, filter.until);
  st->Bind(7, limit + 1);
  if (!filter.target.empty()) st->Bind(8, filter.target);
  AuditPage page;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    if (static_cast<int64_t>(page.rows.size()) == limit) {
      page.next_before_id = page.rows.back().id;
      break;
    }
    page.rows.push_back(AuditRow{
        st->ColumnInt(0),
        AuditEntry{st->ColumnInt(1), st->ColumnText(2), st->ColumnText(3),
                   st->ColumnText(4), st->ColumnText(5), st->ColumnText(6),
                   st->ColumnText(7)}});
  }
  return page;
}

}  // namespace mdefleet::store

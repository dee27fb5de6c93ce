#include "server/store/audit.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mdefleet::store {

std::string EnrollmentActor(absl::string_view secret_name) {
  return absl::StrCat("enrollment secret \"", secret_name, "\"");
}

absl::Status AppendAudit(Connection& db, const AuditEntry& entry) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO audit_log (at, actor, action, job_id, outcome, "
                 "detail, role) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  st->Bind(1, entry.at);
  st->Bind(2, entry.actor);
  st->Bind(3, entry.action);
  st->Bind(4, entry.target);
  st->Bind(5, entry.outcome);
  st->Bind(6, entry.detail);
  st->Bind(7, entry.role);
  return st->Run();
}

absl::StatusOr<std::vector<AuditEntry>> AuditForTarget(
    Connection& db, absl::string_view target) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT at, actor, action, job_id, outcome, detail, role "
                 "FROM audit_log WHERE job_id = ?1 ORDER BY id"));
  st->Bind(1, target);
  std::vector<AuditEntry> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(AuditEntry{st->ColumnInt(0), st->ColumnText(1),
                             st->ColumnText(2), st->ColumnText(3),
                             st->ColumnText(4), st->ColumnText(5),
                             st->ColumnText(6)});
  }
  return out;
}

}  // namespace mdefleet::store

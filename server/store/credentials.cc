#include "server/store/credentials.h"

#include "common/status_macros.h"

namespace mdefleet::store {
namespace {
const char* KindName(CredentialKind kind) {
  return kind == CredentialKind::kAdmin ? "admin" : "enrollment";
}
}  // namespace

absl::Status InsertCredential(Connection& db, CredentialKind kind,
                              absl::string_view name,
                              absl::string_view token_hash,
                              int64_t now_micros) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO credentials (kind, name, "
                 "token_hash, created_at) VALUES (?1, ?2, ?3, ?4)"));
  st->Bind(1, KindName(kind));
  st->Bind(2, name);
  st->Bind(3, token_hash);
  st->Bind(4, now_micros);
  return st->Run();
}

absl::StatusOr<std::optional<CredentialRow>> FindCredential(
    Connection& db, absl::string_view token_hash) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT kind, name FROM credentials WHERE token_hash = ?1"));
  st->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  return CredentialRow{st->ColumnText(0) == "admin"
                           ? CredentialKind::kAdmin
                           : CredentialKind::kEnrollment,
                       st->ColumnText(1)};
}

}  // namespace mdefleet::store

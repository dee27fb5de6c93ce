#include "server/store/credentials.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/roles.h"
#include "common/status_macros.h"

namespace mdefleet::store {
namespace {

// Statements are cached by their text's address: each is one constant.
#define MDF_CREDENTIAL_COLUMNS                                          \
  "SELECT id, kind, name, coalesce(role, ''), token_hash, created_by, " \
  "created_at, expires_at, revoked_at, scope_labels FROM credentials "
constexpr char kFindByHash[] = MDF_CREDENTIAL_COLUMNS "WHERE token_hash = ?1";
constexpr char kFindById[] =
    MDF_CREDENTIAL_COLUMNS "WHERE kind = ?1 AND id = ?2";
constexpr char kFindByName[] = MDF_CREDENTIAL_COLUMNS
    "WHERE kind = ?1 AND name = ?2 AND revoked_at IS NULL";
constexpr char kList[] = MDF_CREDENTIAL_COLUMNS
    "WHERE kind = ?1 AND (?2 OR revoked_at IS NULL) ORDER BY id";
#undef MDF_CREDENTIAL_COLUMNS

const char* KindName(CredentialKind kind) {
  return kind == CredentialKind::kApi ? "admin" : "enrollment";
}

CredentialRow ReadRow(const Statement& st) {
  CredentialRow row;
  row.id = st.ColumnInt(0);
  row.kind = st.ColumnText(1) == "admin" ? CredentialKind::kApi
                                         : CredentialKind::kEnrollment;
  row.name = st.ColumnText(2);
  row.role = ParseRole(st.ColumnText(3)).value_or(v1::ROLE_UNSPECIFIED);
  row.token_hash = st.ColumnText(4);
  row.created_by = st.ColumnText(5);
  row.created_at = st.ColumnInt(6);
  row.expires_at = st.ColumnOptionalInt(7);
  row.revoked_at = st.ColumnOptionalInt(8);
  row.scope_labels = DecodeScopeLabels(st.ColumnText(9));
  return row;
}

}  // namespace

std::string EncodeScopeLabels(
    const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [key, value] : labels) {
    absl::StrAppend(&out, key, "=", value, "\n");
  }
  return out;
}

std::map<std::string, std::string> DecodeScopeLabels(absl::string_view text) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    out[kv.first] = kv.second;
  }
  return out;
}

absl::StatusOr<int64_t> InsertCredential(Connection& db,
                                         const NewCredential& credential,
                                         int64_t now_micros) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO credentials (kind, name, role, token_hash, "
                 "created_at, created_by, expires_at, scope_labels) VALUES "
                 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id"));
  st->Bind(1, KindName(credential.kind));
  st->Bind(2, credential.name);
  if (credential.kind == CredentialKind::kApi &&
      ParseRole(RoleName(credential.role)).has_value()) {
    st->Bind(3, RoleName(credential.role));
  } else {
    st->BindNull(3);
  }
  st->Bind(4, credential.token_hash);
  st->Bind(5, now_micros);
  st->Bind(6, credential.created_by);
  st->Bind(7, credential.expires_at);
  st->Bind(8, EncodeScopeLabels(credential.scope_labels));
  absl::StatusOr<bool> row = st->Step();
  if (absl::IsAlreadyExists(row.status())) {
    return absl::AlreadyExistsError(absl::StrCat(
        "name: \"", credential.name, "\" is already taken by a ",
        credential.kind == CredentialKind::kApi ? "token" : "enrollment secret",
        " not revoked"));
  }
  RETURN_IF_ERROR(row.status());
  if (!*row) return absl::InternalError("INSERT ... RETURNING gave no row");
  return st->ColumnInt(0);
}

absl::Status InsertBootstrapCredentials(
    Connection& db, absl::string_view admin_token_hash,
    absl::string_view enrollment_secret_hash, int64_t now_micros) {
  NewCredential admin;
  admin.kind = CredentialKind::kApi;
  admin.name = "admin";
  admin.role = v1::ROLE_ADMIN;
  admin.token_hash = std::string(admin_token_hash);
  admin.created_by = "init";
  RETURN_IF_ERROR(InsertCredential(db, admin, now_micros).status());
  NewCredential runners;
  runners.kind = CredentialKind::kEnrollment;
  runners.name = "runners";
  runners.token_hash = std::string(enrollment_secret_hash);
  runners.created_by = "init";
  return InsertCredential(db, runners, now_micros).status();
}

absl::StatusOr<std::optional<CredentialRow>> FindCredential(
    Connection& db, absl::string_view token_hash) {
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(kFindByHash));
  st->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  return ReadRow(*st);
}

absl::StatusOr<CredentialRow> ResolveCredential(Connection& db,
                                                CredentialKind kind,
                                                absl::string_view ref,
                                                absl::string_view field) {
  const char* what =
      kind == CredentialKind::kApi ? "token" : "enrollment secret";
  if (ref.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": required (the ", what, "'s id or name)"));
  }
  int64_t id = 0;
  const bool by_id = absl::SimpleAtoi(ref, &id);
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare(by_id ? kFindById : kFindByName));
  st->Bind(1, KindName(kind));
  if (by_id) {
    st->Bind(2, id);
  } else {
    st->Bind(2, ref);
  }
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat(field, ": no ", what, " \"", ref, "\""));
  }
  return ReadRow(*st);
}

absl::StatusOr<std::vector<CredentialRow>> ListCredentials(
    Connection& db, CredentialKind kind, bool include_revoked) {
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(kList));
  st->Bind(1, KindName(kind));
  st->Bind(2, int64_t{include_revoked ? 1 : 0});
  std::vector<CredentialRow> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadRow(*st));
  }
  return out;
}

absl::Status RevokeCredential(Connection& db, int64_t id, int64_t now_micros) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("UPDATE credentials SET revoked_at = ?2 WHERE "
                              "id = ?1 AND revoked_at IS NULL"));
  st->Bind(1, id);
  st->Bind(2, now_micros);
  return st->Run();
}

absl::Status SetCredentialExpiry(Connection& db, int64_t id,
                                 int64_t expires_at) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE credentials SET expires_at = ?2 WHERE id = ?1"));
  st->Bind(1, id);
  st->Bind(2, expires_at);
  return st->Run();
}

}  // namespace mdefleet::store

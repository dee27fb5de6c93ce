#include "server/store/artifacts.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/time_util.h"

namespace mdefleet::store {
namespace {

v1::Artifact ReadMeta(const Statement& st) {
  v1::Artifact a;
  a.set_id(st.ColumnText(0));
  a.set_kind(static_cast<v1::ArtifactKind>(st.ColumnInt(1)));
  a.set_name(st.ColumnText(2));
  a.set_size(static_cast<uint64_t>(st.ColumnInt(3)));
  SetTimestamp(st.ColumnInt(4), a.mutable_uploaded_at());
  a.set_valid_until(st.ColumnText(5));
  a.set_secret(st.ColumnInt(6) != 0);
  return a;
}

}  // namespace

absl::StatusOr<std::optional<v1::Artifact>> GetArtifact(Connection& db,
                                                        absl::string_view id) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT id, kind, name, size, uploaded_at, "
                 "valid_until, secret FROM artifacts WHERE id = ?1"));
  st->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  return ReadMeta(*st);
}

absl::StatusOr<std::optional<v1::Artifact>> NewestArtifact(
    Connection& db, v1::ArtifactKind kind) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT id, kind, name, size, uploaded_at, valid_until, "
                 "secret FROM artifacts WHERE kind = ?1 ORDER BY uploaded_at "
                 "DESC, rowid DESC LIMIT 1"));
  st->Bind(1, static_cast<int64_t>(kind));
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  return ReadMeta(*st);
}

absl::Status InsertArtifact(Connection& db, const v1::Artifact& artifact,
                            absl::string_view content) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO artifacts (id, kind, name, size, content, "
                 "valid_until, secret, uploaded_at) VALUES (?1, ?2, ?3, ?4, "
                 "?5, ?6, ?7, ?8)"));
  st->Bind(1, artifact.id());
  st->Bind(2, static_cast<int64_t>(artifact.kind()));
  st->Bind(3, artifact.name());
  st->Bind(4, static_cast<int64_t>(content.size()));
  st->BindBlob(5, content);
  if (artifact.valid_until().empty()) {
    st->BindNull(6);
  } else {
    st->Bind(6, artifact.valid_until());
  }
  st->Bind(7, static_cast<int64_t>(artifact.secret() ? 1 : 0));
  st->Bind(8, TimestampMicros(artifact.uploaded_at()).value_or(0));
  return st->Run();
}

absl::StatusOr<std::vector<v1::Artifact>> ListArtifacts(Connection& db,
                                                        v1::ArtifactKind kind) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT id, kind, name, size, uploaded_at, valid_until, "
                 "secret FROM artifacts WHERE ?1 = 0 OR kind = ?1 ORDER BY "
                 "uploaded_at DESC, rowid DESC"));
  st->Bind(1, static_cast<int64_t>(kind));
  std::vector<v1::Artifact> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadMeta(*st));
  }
  return out;
}

absl::StatusOr<std::optional<ArtifactLocation>> LocateArtifact(
    Connection& db, absl::string_view id) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT rowid, size FROM artifacts WHERE id = ?1"));
  st->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  return ArtifactLocation{st->ColumnInt(0), st->ColumnInt(1)};
}

absl::StatusOr<std::string> ReadArtifactBytes(Connection& db,
                                              const ArtifactLocation& where,
                                              int64_t offset, int64_t length) {
  if (offset < 0 || offset > where.size) {
    return absl::OutOfRangeError("artifact offset past the end");
  }
  length = std::min(length, where.size - offset);
  if (db.dialect() == SqlDialect::kPostgres) {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT substr(content, ?2, ?3) FROM artifacts WHERE "
                   "rowid = ?1"));
    st->Bind(1, where.rowid);
    st->Bind(2, offset + 1);  // 1-based
    st->Bind(3, length);
    ASSIGN_OR_RETURN(const bool row, st->Step());
    if (!row) return absl::NotFoundError("artifact content is gone");
    return st->ColumnBlob(0);
  }
  // Incremental blob I/O: a chunk without reading the whole artifact.
  auto& sqlite = static_cast<SqliteConnection&>(db);
  sqlite3_blob* raw = nullptr;
  int rc = sqlite3_blob_open(sqlite.raw(), "main", "artifacts", "content",
                             where.rowid, /*flags=*/0, &raw);
  BlobHandle blob(raw);
  if (rc != SQLITE_OK) return sqlite.LastError("open artifact blob");
  std::string out(static_cast<size_t>(length), '\0');
  rc = sqlite3_blob_read(blob.get(), out.data(), static_cast<int>(length),
                         static_cast<int>(offset));
  if (rc != SQLITE_OK) return sqlite.LastError("read artifact blob");
  return out;
}

}  // namespace mdefleet::store

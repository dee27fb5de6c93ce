#include "server/store/migrations.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/transaction.h"

namespace mdefleet::store {
namespace {

absl::StatusOr<bool> TableExists(Connection& db, const char* name) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' "
                 "AND name = ?1"));
  st->Bind(1, name);
  return st->Step();
}

absl::StatusOr<int64_t> TableCount(Connection& db) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT count(*) FROM sqlite_schema"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

absl::Status NotMdefleet(absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("not an mdefleet database: ", why));
}

}  // namespace

int LatestSchemaVersion() {
  const auto& all = EmbeddedMigrations();
  return all.empty() ? 0 : all.back().version;
}

absl::StatusOr<int> SchemaVersion(Connection& db) {
  absl::StatusOr<int64_t> tables = TableCount(db);
  if (!tables.ok()) {
    if (absl::IsDataLoss(tables.status())) {
      return NotMdefleet("the file is not an SQLite database");
    }
    return tables.status();
  }
  if (*tables == 0) return 0;
  ASSIGN_OR_RETURN(bool has_meta, TableExists(db, "meta"));
  if (!has_meta) return NotMdefleet("it has no mdefleet identity (table meta)");
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("SELECT value FROM meta WHERE key = "
                                "'application'"));
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row || st->ColumnText(0) != "mdefleet") {
      return NotMdefleet("its application identity is not 'mdefleet'");
    }
  }
  ASSIGN_OR_RETURN(bool has_versions, TableExists(db, "schema_migrations"));
  if (!has_versions) return NotMdefleet("it has no schema_migrations table");
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT coalesce(max(version), 0) FROM "
                              "schema_migrations"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? static_cast<int>(st->ColumnInt(0)) : 0;
}

absl::Status Migrate(Connection& db, const Clock& clock) {
  ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  const int latest = LatestSchemaVersion();
  if (current > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema version ", current,
                     " is newer than this mdefleet-server supports (", latest,
                     "); upgrade the server"));
  }
  for (const EmbeddedMigration& m : EmbeddedMigrations()) {
    if (m.version <= current) continue;
    ScopedTransaction tx(db);
    RETURN_IF_ERROR(tx.status());
    absl::Status applied = db.Exec(m.sql);
    if (!applied.ok()) {
      return absl::InternalError(
          absl::StrCat("migration ", m.file, " failed: ", applied.message()));
    }
    {
      ASSIGN_OR_RETURN(CachedStatement st,
                       db.Prepare("INSERT INTO schema_migrations (version, "
                                  "name, applied_at) VALUES (?1, ?2, ?3)"));
      st->Bind(1, static_cast<int64_t>(m.version));
      st->Bind(2, m.file);
      st->Bind(3, absl::ToUnixMicros(clock.Now()));
      RETURN_IF_ERROR(st->Run());
    }
    RETURN_IF_ERROR(tx.Commit());
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::store

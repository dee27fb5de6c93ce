#include "server/store/migrations.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/migration_functions.h"
#include "server/store/transaction.h"

namespace mdefleet::store {
namespace {

[[nodiscard]] absl::StatusOr<bool> TableExists(Connection& db,
                                               const char* name) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' "
                 "AND name = ?1"));
  st->Bind(1, name);
  return st->Step();
}

[[nodiscard]] absl::StatusOr<int64_t> TableCount(Connection& db) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT count(*) FROM sqlite_schema"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

// The value of a boolean pragma (`pragma` is a literal: "PRAGMA x").
[[nodiscard]] absl::StatusOr<bool> PragmaOn(Connection& db,
                                            const char* pragma) {
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(pragma));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row && st->ColumnInt(0) != 0;
}

// FailedPrecondition naming the first row that breaks a foreign key.
[[nodiscard]] absl::Status CheckForeignKeys(Connection& db, const char* file) {
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare("PRAGMA foreign_key_check"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("migration ", file, " failed: a row of table ",
                   st->ColumnText(0), " (rowid ", st->ColumnInt(1),
                   ") refers to a missing row of ", st->ColumnText(2)));
}

// Applies the migrations after `current`; foreign keys are off (see
// Migrate).
[[nodiscard]] absl::Status ApplyMigrations(Connection& db, const Clock& clock,
                                           int current) {
  for (const EmbeddedMigration& m : EmbeddedMigrations()) {
    if (m.version <= current) continue;
    ScopedTransaction tx(db);
    RETURN_IF_ERROR(tx.status());
    absl::Status applied = db.Exec(m.sql);
    if (!applied.ok()) {
      return absl::InternalError(
          absl::StrCat("migration ", m.file, " failed: ", applied.message()));
    }
    RETURN_IF_ERROR(CheckForeignKeys(db, m.file));
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

[[nodiscard]] absl::Status NotMdefleet(absl::string_view why) {
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

absl::Status Migrate(SqliteConnection& db, const Clock& clock) {
  ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  const int latest = LatestSchemaVersion();
  if (current > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema version ", current,
                     " is newer than this mdefleet-server supports (", latest,
                     "); upgrade the server"));
  }
  if (current == latest) return absl::OkStatus();
  RETURN_IF_ERROR(RegisterMigrationFunctions(db));
  // A migration may rebuild a table (SQLite's way to change a constraint:
  // create, copy, drop, rename), which must not cascade deletes or fail on
  // references in between; each migration's transaction checks every
  // foreign key before it commits instead. The pragma is a no-op inside a
  // transaction, so it is switched here, around them.
  ASSIGN_OR_RETURN(const bool foreign_keys,
                   PragmaOn(db, "PRAGMA foreign_keys"));
  if (foreign_keys) RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = OFF"));
  // What a migration replaces may be what must not stay on disk (0007
  // replaces raw machine identities with hashes): freed pages are zeroed,
  // and the checkpoint below takes the old pages out of the main file now.
  ASSIGN_OR_RETURN(const bool secure_delete,
                   PragmaOn(db, "PRAGMA secure_delete"));
  RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete = ON"));
  absl::Status applied = ApplyMigrations(db, clock, current);
  if (applied.ok()) applied = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  absl::Status restored = db.Exec(
      absl::StrCat("PRAGMA secure_delete = ", secure_delete ? "ON" : "OFF"));
  if (applied.ok()) applied = restored;
  if (foreign_keys) {
    restored = db.Exec("PRAGMA foreign_keys = ON");
    if (applied.ok()) applied = restored;
  }
  return applied;
}

}  // namespace mdefleet::store

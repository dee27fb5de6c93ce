#include "server/store/postgres/pg_migrations.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mdefleet::store::postgres {
namespace {

// pg_advisory_lock key of the migrations ("mdfmigr" in ASCII).
constexpr char kMigrationLock[] = "SELECT pg_advisory_lock(28258235316200562)";
constexpr char kMigrationUnlock[] =
    "SELECT pg_advisory_unlock(28258235316200562)";

[[nodiscard]] absl::StatusOr<int64_t> UserTableCount(PgConnection& db) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT count(*) FROM pg_tables WHERE schemaname = "
                 "current_schema()"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

[[nodiscard]] absl::StatusOr<bool> IsMdefleetDatabase(PgConnection& db) {
  ASSIGN_OR_RETURN(CachedStatement exists,
                   db.Prepare("SELECT to_regclass('meta') IS NOT NULL AND "
                              "to_regclass('schema_migrations') IS NOT NULL"));
  ASSIGN_OR_RETURN(bool row, exists->Step());
  if (!row || exists->ColumnInt(0) == 0) return false;
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT value FROM meta WHERE key = 'application'"));
  ASSIGN_OR_RETURN(bool found, st->Step());
  return found && st->ColumnText(0) == "mdefleet";
}

[[nodiscard]] absl::Status Apply(PgConnection& db,
                                 const EmbeddedMigration& migration,
                                 int64_t now_micros) {
  RETURN_IF_ERROR(db.Exec("BEGIN"));
  absl::Status applied = [&]() -> absl::Status {
    RETURN_IF_ERROR(db.Exec(migration.sql));
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("INSERT INTO schema_migrations (version, name, applied_at) "
                   "VALUES (?1, ?2, ?3)"));
    st->Bind(1, int64_t{migration.version});
    st->Bind(2, migration.file);
    st->Bind(3, now_micros);
    RETURN_IF_ERROR(st->Run());
    return db.Exec("COMMIT");
  }();
  if (!applied.ok()) {
    (void)db.Exec("ROLLBACK");
    return absl::Status(applied.code(),
                        absl::StrCat("migration postgres/", migration.file,
                                     ": ", applied.message()));
  }
  return absl::OkStatus();
}

}  // namespace

int LatestPostgresSchemaVersion() {
  const auto& all = EmbeddedPostgresMigrations();
  return all.empty() ? 0 : all.back().version;
}

absl::StatusOr<int> PostgresSchemaVersion(PgConnection& db) {
  ASSIGN_OR_RETURN(const bool ours, IsMdefleetDatabase(db));
  if (!ours) {
    ASSIGN_OR_RETURN(const int64_t tables, UserTableCount(db));
    if (tables == 0) return 0;
    return absl::FailedPreconditionError(absl::StrCat(
        "the PostgreSQL database holds ", tables,
        tables == 1 ? " table" : " tables",
        " and is not an mdefleet database; give mdefleet an empty database "
        "of its own"));
  }
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? static_cast<int>(st->ColumnInt(0)) : 0;
}

absl::Status MigratePostgres(PgConnection& db, int64_t now_micros) {
  RETURN_IF_ERROR(db.Exec(kMigrationLock));
  absl::Status migrated = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const int version, PostgresSchemaVersion(db));
    const int latest = LatestPostgresSchemaVersion();
    if (version > latest) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the PostgreSQL database is at schema version ", version,
          ", newer than this mdefleet-server knows (", latest,
          "): a newer mdefleet-server migrated it; run that version (or "
          "newer) on every replica"));
    }
    for (const EmbeddedMigration& m : EmbeddedPostgresMigrations()) {
      if (m.version > version) RETURN_IF_ERROR(Apply(db, m, now_micros));
    }
    return absl::OkStatus();
  }();
  absl::Status unlocked = db.Exec(kMigrationUnlock);
  RETURN_IF_ERROR(migrated);
  return unlocked;
}

}  // namespace mdefleet::store::postgres

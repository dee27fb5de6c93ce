// The PostgreSQL store's migrations: migrations/postgres/NNNN_name.sql,
// embedded at build time, applied in order, each in its own transaction and
// recorded in schema_migrations, as the SQLite store's are (migrations.h).
// Replicas starting at once take turns (an advisory lock).
#ifndef MDEFLEET_SERVER_STORE_POSTGRES_PG_MIGRATIONS_H_
#define MDEFLEET_SERVER_STORE_POSTGRES_PG_MIGRATIONS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/migrations.h"
#include "server/store/postgres/pg_connection.h"

namespace mdefleet::store {

// Every migrations/postgres/*.sql in name order (generated).
const std::vector<EmbeddedMigration>& EmbeddedPostgresMigrations();

namespace postgres {

// The newest schema version this build knows.
int LatestPostgresSchemaVersion();

// The schema version recorded in the database; 0 for an empty database.
// FailedPrecondition when the database holds tables but is not mdefleet's.
[[nodiscard]] absl::StatusOr<int> PostgresSchemaVersion(PgConnection& db);

// Brings the database to LatestPostgresSchemaVersion(), `now_micros` as the
// time recorded. FailedPrecondition, changing nothing, for a database that is
// not mdefleet's or that a newer mdefleet migrated; a failed migration is
// rolled back whole.
[[nodiscard]] absl::Status MigratePostgres(PgConnection& db,
                                           int64_t now_micros);

}  // namespace postgres
}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_POSTGRES_PG_MIGRATIONS_H_

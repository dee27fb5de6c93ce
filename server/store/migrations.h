// Schema migrations embedded at build time from migrations/NNNN_name.sql.
#ifndef MDEFLEET_SERVER_STORE_MIGRATIONS_H_
#define MDEFLEET_SERVER_STORE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

struct EmbeddedMigration {
  int version;       // NNNN from the file name
  const char* file;  // "0001_initial.sql"
  const char* sql;
};

// Every migrations/*.sql in name order (generated: embedded_migrations.cc).
const std::vector<EmbeddedMigration>& EmbeddedMigrations();

// The schema version this binary knows (the last embedded migration).
int LatestSchemaVersion();

// The version recorded in the database; 0 for an empty database.
// DataLoss/FailedPrecondition when the file is not an mdefleet database.
[[nodiscard]] absl::StatusOr<int> SchemaVersion(Connection& db);

// Checks the database identity and applies missing migrations, each in its
// own transaction that also records its version. Before the first one it
// registers the SQL functions migrations call (migration_functions.h) and
// turns foreign keys off (so a migration may rebuild a table) until the
// last one is done; each transaction checks every foreign key before it
// commits (FailedPrecondition naming the table otherwise). Content a
// migration replaces does not stay in the file: secure_delete is on while
// migrating, and the WAL is checkpointed at the end. FailedPrecondition
// "database schema version N is newer than this mdefleet-server supports (M);
// upgrade the server" for a newer database.
[[nodiscard]] absl::Status Migrate(SqliteConnection& db, const Clock& clock);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_MIGRATIONS_H_

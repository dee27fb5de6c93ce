// Application-defined SQL functions that migrations call, for what SQL
// cannot do itself (SQLite has no SHA-256 and cannot read a serialized
// protobuf). Migrate() registers them on its connection before applying any
// migration. A function a released migration uses keeps its name and
// meaning forever: the migration may run on an old database years later.
#ifndef MDEFLEET_SERVER_STORE_MIGRATION_FUNCTIONS_H_
#define MDEFLEET_SERVER_STORE_MIGRATION_FUNCTIONS_H_

#include "absl/status/status.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// Registers, deterministic, on `db`:
//   mdf_sha256_hex(text) -> lowercase hex SHA-256 of the text's bytes (NULL
//     for NULL).
//   mdf_facts_with_host_identity_sha256(facts blob, hash text) -> the
//     mdefleet.v1.DeviceFacts blob with host_identity cleared and
//     host_identity_sha256 set to `hash` (an error for a blob that does not
//     parse: the migration fails and changes nothing).
[[nodiscard]] absl::Status RegisterMigrationFunctions(SqliteConnection& db);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_MIGRATION_FUNCTIONS_H_

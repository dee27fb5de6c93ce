// The mdefleet-server commands: init, serve and migrate-store.
#ifndef MDEFLEET_SERVER_SERVER_COMMANDS_H_
#define MDEFLEET_SERVER_SERVER_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/serve/serve_options.h"

namespace mdefleet {

struct InitOptions {
  std::string db_path;
  std::string tls_dir;            // --tls-dir; empty: <db_path>.tls
  std::vector<std::string> sans;  // --san: extra names of the server cert
  std::string tls_cert;           // --tls-cert/--tls-key: the operator's pair
  std::string tls_key;
};

// Creates the database (refusing an existing file), applies the migrations,
// creates the TLS directory (server/tls/tls_dir.h: a new CA and server
// certificate, or the operator's pair) and prints "admin_token=...",
// "enrollment_secret=..." and, with a CA, "ca_certificate=<path>" on stdout,
// once. Bad TLS flags are refused before anything is written.
[[nodiscard]] absl::Status RunInit(const InitOptions& options);

struct MigrateStoreOptions {
  std::string from;  // --from: the SQLite store's file
  std::string to;    // --to: postgresql://user@host:port/dbname
};

// Copies the SQLite store into an empty PostgreSQL database
// (store/postgres/migrate_store.h): a line per table on stderr as it goes,
// the counts of both sides and the time on stdout. An error when the copy
// is refused or fails, or when a count differs.
[[nodiscard]] absl::Status RunMigrateStore(const MigrateStoreOptions& options);

// Blocks the signals serve stops on in the calling thread and every thread
// it starts later: SIGTERM, SIGINT, and SIGUSR2 (raised by the server itself
// when gRPC's listener dies). Call before RunServe, first thing in main.
void BlockServeStopSignals();

// Serves until one of those signals, then shuts down gracefully.
[[nodiscard]] absl::Status RunServe(const ServeOptions& options);

}  // namespace mdefleet

#endif  // MDEFLEET_SERVER_SERVER_COMMANDS_H_

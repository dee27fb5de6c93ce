// What `--db` names: a SQLite file (the default, embedded store) or a
// PostgreSQL database by URL (postgresql://user@host:port/dbname). A URL
// never carries a password: it would stand in the process list, shell
// histories and unit files; libpq reads it from a password file instead
// (~/.pgpass, PGPASSFILE or passfile=).
#ifndef MDEFLEET_SERVER_STORE_POSTGRES_DB_TARGET_H_
#define MDEFLEET_SERVER_STORE_POSTGRES_DB_TARGET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace mdefleet::store {

struct DbTarget {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::string sqlite_path;   // kSqlite
  std::string postgres_url;  // kPostgres: as given (it holds no password)
  // For logs and errors: the file, or "PostgreSQL database D on H:P as U".
  std::string display;
};

// True when `db` (a --db value) names a PostgreSQL database: it starts with
// postgresql:// or postgres://. Anything else is a SQLite file.
inline bool IsPostgresUrl(absl::string_view db) {
  return absl::StartsWith(db, "postgresql://") ||
         absl::StartsWith(db, "postgres://");
}

// Parses `text` (the value of `field`, e.g. "--db"). A URL starting with
// postgresql:// or postgres:// is PostgreSQL, parsed by libpq; anything
// else is a SQLite file path. InvalidArgument naming `field` for an empty
// value, a URL libpq cannot parse, or a URL with a password (the error
// never repeats the URL's user information).
[[nodiscard]] absl::StatusOr<DbTarget> ParseDbTarget(absl::string_view text,
                                                     absl::string_view field);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_POSTGRES_DB_TARGET_H_

#include "server/store/store.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "common/job_spec_validation.h"
#include "common/status_macros.h"
#include "server/store/migrations.h"
#include "server/store/postgres/db_target.h"
#include "server/store/postgres/pg_connection.h"
#include "server/store/postgres/pg_migrations.h"

namespace mdefleet::store {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// mdf_glob(pattern, text): case-insensitive shell glob, as targets use.
void GlobFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  const unsigned char* pattern = sqlite3_value_text(argv[0]);
  const unsigned char* text = sqlite3_value_text(argv[1]);
  if (pattern == nullptr || text == nullptr) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  bool match =
      GlobMatches(absl::string_view(reinterpret_cast<const char*>(pattern),
                                    sqlite3_value_bytes(argv[0])),
                  absl::string_view(reinterpret_cast<const char*>(text),
                                    sqlite3_value_bytes(argv[1])));
  sqlite3_result_int(ctx, match ? 1 : 0);
}

[[nodiscard]] absl::Status Configure(SqliteConnection& db) {
  RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = 10000"));
  RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  RETURN_IF_ERROR(db.Exec("PRAGMA synchronous = FULL"));
  int rc = sqlite3_create_function_v2(
      db.raw(), "mdf_glob", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
      &GlobFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return db.LastError("register mdf_glob");
  return absl::OkStatus();
}

[[nodiscard]] absl::Status Explain(const std::string& path,
                                   absl::Status status) {
  return absl::Status(status.code(),
                      absl::StrCat(path, ": ", status.message()));
}

// The oldest PostgreSQL the store is tested on (Debian 12's).
constexpr int kOldestPostgres = 150000;

[[nodiscard]] absl::StatusOr<std::unique_ptr<postgres::PgConnection>>
OpenPostgresConnection(const std::string& url, const std::string& display) {
  absl::StatusOr<std::unique_ptr<postgres::PgConnection>> conn =
      postgres::PgConnection::Open(url);
  if (!conn.ok()) return Explain(display, conn.status());
  // Times are stored as integers; the session's zone only shapes what
  // PostgreSQL prints in its own messages.
  RETURN_IF_ERROR((*conn)->SetSessionSetup("SET TIME ZONE 'UTC'"));
  return conn;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    const std::string& db, OpenMode mode, const Clock& clock,
    WriteObserver* write_observer) {
  ASSIGN_OR_RETURN(const DbTarget target, ParseDbTarget(db, "--db"));
  std::unique_ptr<Store> store(new Store());
  store->display_ = target.display;
  if (target.kind == DbTarget::Kind::kSqlite) {
    RETURN_IF_ERROR(store->OpenSqlite(target.sqlite_path, mode, clock));
  } else {
    RETURN_IF_ERROR(store->OpenPostgres(target.postgres_url, mode, clock));
  }
  for (const auto& reader : store->readers_) {
    store->idle_readers_.push_back(reader.get());
  }
  store->committer_ = std::make_unique<GroupCommitter>(
      *store->writer_, /*max_batch=*/1024, write_observer);
  return store;
}

absl::Status Store::OpenSqlite(const std::string& path, OpenMode mode,
                               const Clock& clock) {
  const bool exists = FileExists(path);
  if (mode == OpenMode::kCreate && exists) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     ": already exists; init creates a new database and never "
                     "overwrites one"));
  }
  if (mode == OpenMode::kExisting && !exists) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": no such database; create it with `mdefleet-server init --db ",
        path, "`"));
  }
  int flags = SQLITE_OPEN_READWRITE;
  if (mode == OpenMode::kCreate) flags |= SQLITE_OPEN_CREATE;

  ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> writer,
                   SqliteConnection::Open(path, flags));
  absl::Status configured = Configure(*writer);
  if (!configured.ok()) {
    if (absl::IsDataLoss(configured)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path,
                       ": not an mdefleet database: the file is not an "
                       "SQLite database"));
    }
    return Explain(path, configured);
  }
  // Identity and version before anything writes to the file.
  absl::StatusOr<int> version = SchemaVersion(*writer);
  if (!version.ok()) return Explain(path, version.status());
  if (mode == OpenMode::kExisting && *version == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     ": not an mdefleet database: it is empty; create one with "
                     "`mdefleet-server init`"));
  }
  absl::Status wal = writer->Exec("PRAGMA journal_mode = WAL");
  if (!wal.ok()) return Explain(path, wal);
  absl::Status migrated = Migrate(*writer, clock);
  if (!migrated.ok()) return Explain(path, migrated);
  writer_ = std::move(writer);

  for (int i = 0; i < kReaders; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> reader,
                     SqliteConnection::Open(path, SQLITE_OPEN_READWRITE));
    RETURN_IF_ERROR(Configure(*reader));
    readers_.push_back(std::move(reader));
  }
  return absl::OkStatus();
}

absl::Status Store::OpenPostgres(const std::string& url, OpenMode mode,
                                 const Clock& clock) {
  ASSIGN_OR_RETURN(std::unique_ptr<postgres::PgConnection> writer,
                   OpenPostgresConnection(url, display_));
  const int server_version = PQserverVersion(writer->raw());
  if (server_version < kOldestPostgres) {
    return absl::FailedPreconditionError(absl::StrCat(
        display_, ": PostgreSQL ", server_version / 10000, " is too old; ",
        "mdefleet needs PostgreSQL ", kOldestPostgres / 10000, " or newer"));
  }
  // Identity and version before anything writes to the database.
  absl::StatusOr<int> version = postgres::PostgresSchemaVersion(*writer);
  if (!version.ok()) return Explain(display_, version.status());
  if (mode == OpenMode::kCreate && *version != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        display_, ": already holds an mdefleet store (schema version ",
        *version, "); init creates a new store and never overwrites one"));
  }
  if (mode == OpenMode::kExisting && *version == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        display_,
        ": the database is empty; create the store with `mdefleet-server "
        "init --db URL`"));
  }
  absl::Status migrated =
      postgres::MigratePostgres(*writer, absl::ToUnixMicros(clock.Now()));
  if (!migrated.ok()) return Explain(display_, migrated);
  writer_ = std::move(writer);
  for (int i = 0; i < kReaders; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<postgres::PgConnection> reader,
                     OpenPostgresConnection(url, display_));
    readers_.push_back(std::move(reader));
  }
  return absl::OkStatus();
}

int Store::schema_version() const {
  return dialect() == SqlDialect::kSqlite
             ? LatestSchemaVersion()
             : postgres::LatestPostgresSchemaVersion();
}

absl::Status Store::Read(absl::FunctionRef<absl::Status(Connection&)> fn) {
  Connection* reader;
  {
    std::unique_lock<std::mutex> lock(read_mu_);
    reader_free_.wait(lock, [&] { return !idle_readers_.empty(); });
    reader = idle_readers_.back();
    idle_readers_.pop_back();
  }
  absl::Status result = reader->EnsureConnected();
  if (result.ok()) result = fn(*reader);
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    idle_readers_.push_back(reader);
  }
  reader_free_.notify_one();
  return result;
}

}  // namespace mdefleet::store

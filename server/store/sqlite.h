// Thin RAII layer over the SQLite C API: connections and prepared statements
// live in unique_ptrs with deleters, errors become absl::Status.
#ifndef MDEFLEET_SERVER_STORE_SQLITE_H_
#define MDEFLEET_SERVER_STORE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/store/connection.h"

namespace mdefleet::store {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
struct BlobCloser {
  void operator()(sqlite3_blob* blob) const { sqlite3_blob_close(blob); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;
using BlobHandle = std::unique_ptr<sqlite3_blob, BlobCloser>;

// A prepared SQLite statement.
class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, StatementHandle stmt)
      : db_(db), stmt_(std::move(stmt)) {}

  using Statement::Bind;
  void Bind(int index, int64_t value) override;
  void Bind(int index, absl::string_view text) override;
  void BindBlob(int index, absl::string_view bytes) override;
  void BindNull(int index) override;

  [[nodiscard]] absl::StatusOr<bool> Step() override;
  [[nodiscard]] absl::Status Run() override;

  int64_t ColumnInt(int column) const override;
  std::string ColumnText(int column) const override;
  std::string ColumnBlob(int column) const override;
  bool ColumnIsNull(int column) const override;
  int ColumnCount() const override { return sqlite3_column_count(stmt_.get()); }

  void Reset() override;

 private:
  sqlite3* db_;
  StatementHandle stmt_;
  absl::Status bind_status_;
};

// One SQLite connection with its cache of prepared statements.
class SqliteConnection final : public Connection {
 public:
  // Opens `path` with sqlite3_open_v2 flags (pragmas are set by Store).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, int flags);

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  [[nodiscard]] absl::Status Exec(absl::string_view sql) override;
  [[nodiscard]] absl::StatusOr<CachedStatement> Prepare(
      const char* sql) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Statement>> PrepareOnce(
      absl::string_view sql) override;
  int64_t Changes() const override { return sqlite3_changes64(db_.get()); }

  sqlite3* raw() const { return db_.get(); }
  // The error of the last failed call on this connection as a Status.
  [[nodiscard]] absl::Status LastError(absl::string_view what) const;

 private:
  explicit SqliteConnection(SqliteHandle db) : db_(std::move(db)) {}
  SqliteHandle db_;
  std::map<const char*, std::unique_ptr<SqliteStatement>> cache_;
};

// Maps a SQLite result code and message to an absl::Status.
[[nodiscard]] absl::Status SqliteStatus(int code, absl::string_view what,
                                        absl::string_view message);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_SQLITE_H_

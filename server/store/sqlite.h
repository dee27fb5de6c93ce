// Thin RAII layer over the SQLite C API: connections and prepared statements
// live in unique_ptrs with deleters, errors become absl::Status.
#ifndef MDEFLEET_SERVER_STORE_SQLITE_H_
#define MDEFLEET_SERVER_STORE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

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

// A prepared statement. Bind errors are remembered and returned by Step/Run.
// Parameter indexes are 1-based, column indexes 0-based (as in SQLite).
class Statement {
 public:
  Statement(sqlite3* db, StatementHandle stmt)
      : db_(db), stmt_(std::move(stmt)) {}

  void Bind(int index, int64_t value);
  void Bind(int index, absl::string_view text);
  void Bind(int index, const std::string& text) {
    Bind(index, absl::string_view(text));
  }
  void Bind(int index, const char* text) {
    Bind(index, absl::string_view(text));
  }
  void BindBlob(int index, absl::string_view bytes);
  void BindNull(int index);
  void Bind(int index, std::optional<int64_t> value) {
    value ? Bind(index, *value) : BindNull(index);
  }

  // True when a row is available, false when done.
  [[nodiscard]] absl::StatusOr<bool> Step();
  // Steps until done (for statements that return no rows).
  [[nodiscard]] absl::Status Run();

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;
  int ColumnCount() const { return sqlite3_column_count(stmt_.get()); }
  std::optional<int64_t> ColumnOptionalInt(int column) const;

  // Makes the statement reusable and clears bindings.
  void Reset();

 private:
  sqlite3* db_;
  StatementHandle stmt_;
  absl::Status bind_status_;
};

// A cached statement borrowed from a Connection; reset when it goes out of
// scope. The same SQL must not be borrowed twice at once.
class CachedStatement {
 public:
  explicit CachedStatement(Statement* stmt) : stmt_(stmt) {}
  CachedStatement(CachedStatement&& other) noexcept : stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  CachedStatement& operator=(CachedStatement&&) = delete;
  ~CachedStatement() {
    if (stmt_ != nullptr) stmt_->Reset();
  }
  Statement* operator->() const { return stmt_; }
  Statement& operator*() const { return *stmt_; }

 private:
  Statement* stmt_;
};

// One SQLite connection with its cache of prepared statements. Not thread
// safe: callers serialise access (see Store).
class Connection {
 public:
  // Opens `path` with sqlite3_open_v2 flags (pragmas are set by Store).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& path, int flags);

  // Runs one or more statements without results.
  [[nodiscard]] absl::Status Exec(absl::string_view sql);
  // A statement prepared once and kept for the connection's life.
  [[nodiscard]] absl::StatusOr<CachedStatement> Prepare(const char* sql);
  // A statement for dynamically built SQL, finalized when dropped.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Statement>> PrepareOnce(
      absl::string_view sql);

  // Number of rows changed by the last statement.
  int64_t Changes() const { return sqlite3_changes64(db_.get()); }
  sqlite3* raw() const { return db_.get(); }

  // The error of the last failed call on this connection as a Status.
  [[nodiscard]] absl::Status LastError(absl::string_view what) const;

 private:
  explicit Connection(SqliteHandle db) : db_(std::move(db)) {}
  SqliteHandle db_;
  std::map<const char*, std::unique_ptr<Statement>> cache_;
};

// Maps a SQLite result code and message to an absl::Status.
[[nodiscard]] absl::Status SqliteStatus(int code, absl::string_view what,
                                        absl::string_view message);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_SQLITE_H_

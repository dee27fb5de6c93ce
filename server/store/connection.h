// What the store's code runs SQL through, whichever database holds the
// store: SQLite (sqlite.h, the embedded default) or PostgreSQL
// (postgres/pg_connection.h). Parameters are written ?N (1-based), columns
// are read by 0-based index, errors are absl::Status.
#ifndef MDEFLEET_SERVER_STORE_CONNECTION_H_
#define MDEFLEET_SERVER_STORE_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::store {

// A prepared statement. Bind errors are remembered and returned by Step/Run.
class Statement {
 public:
  virtual ~Statement() = default;

  virtual void Bind(int index, int64_t value) = 0;
  virtual void Bind(int index, absl::string_view text) = 0;
  void Bind(int index, const std::string& text) {
    Bind(index, absl::string_view(text));
  }
  void Bind(int index, const char* text) {
    Bind(index, absl::string_view(text));
  }
  void Bind(int index, std::optional<int64_t> value) {
    value ? Bind(index, *value) : BindNull(index);
  }
  virtual void BindBlob(int index, absl::string_view bytes) = 0;
  virtual void BindNull(int index) = 0;

  // True when a row is available, false when done.
  [[nodiscard]] virtual absl::StatusOr<bool> Step() = 0;
  // Runs the statement to its end (for statements that return no rows).
  [[nodiscard]] virtual absl::Status Run() = 0;

  virtual int64_t ColumnInt(int column) const = 0;
  virtual std::string ColumnText(int column) const = 0;
  virtual std::string ColumnBlob(int column) const = 0;
  virtual bool ColumnIsNull(int column) const = 0;
  virtual int ColumnCount() const = 0;
  std::optional<int64_t> ColumnOptionalInt(int column) const {
    if (ColumnIsNull(column)) return std::nullopt;
    return ColumnInt(column);
  }

  // Makes the statement reusable and clears bindings.
  virtual void Reset() = 0;
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

// Which SQL a connection speaks, where the two differ.
enum class SqlDialect { kSqlite, kPostgres };

// One database connection with its cache of prepared statements. Not thread
// safe: callers serialise access (see Store).
class Connection {
 public:
  virtual ~Connection() = default;

  virtual SqlDialect dialect() const = 0;
  // Runs one or more statements without parameters or results.
  [[nodiscard]] virtual absl::Status Exec(absl::string_view sql) = 0;
  // A statement prepared once and kept for the connection's life.
  [[nodiscard]] virtual absl::StatusOr<CachedStatement> Prepare(
      const char* sql) = 0;
  // A statement for dynamically built SQL, dropped with it.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<Statement>> PrepareOnce(
      absl::string_view sql) = 0;
  // Rows changed by the last statement run.
  virtual int64_t Changes() const = 0;
  // Before a unit of work: a connection to a database server that was lost
  // (the server restarted or failed over) is made again, its cached
  // statements dropped. Unavailable while it cannot be. An embedded
  // database is always there.
  [[nodiscard]] virtual absl::Status EnsureConnected() {
    return absl::OkStatus();
  }
};

// `sqlite` or `postgres` by `db`'s dialect, where the two SQL texts differ
// (both must be literals: Connection::Prepare caches by pointer).
inline const char* SqlFor(const Connection& db, const char* sqlite,
                          const char* postgres) {
  return db.dialect() == SqlDialect::kSqlite ? sqlite : postgres;
}

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_CONNECTION_H_

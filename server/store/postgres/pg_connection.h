// Thin RAII layer over libpq, in the shape of the SQLite one (sqlite.h):
// one connection with its prepared statements, statements that bind by
// 1-based index and read rows by 0-based column, errors as absl::Status.
// The store's SQL writes parameters as ?N; they are sent as PostgreSQL's $N.
#ifndef MDEFLEET_SERVER_STORE_POSTGRES_PG_CONNECTION_H_
#define MDEFLEET_SERVER_STORE_POSTGRES_PG_CONNECTION_H_

#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::store::postgres {

struct PgConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultClear {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgConnHandle = std::unique_ptr<PGconn, PgConnCloser>;
using PgResultHandle = std::unique_ptr<PGresult, PgResultClear>;

// `sql` with each ?N parameter as $N; quoted text and identifiers are left
// as they are.
std::string PostgresPlaceholders(absl::string_view sql);

// A status for a failed libpq call: its SQLSTATE class decides the code
// (unique violation: AlreadyExists; serialization failure or deadlock:
// Aborted, retry the transaction; connection loss: Unavailable; others:
// Internal), the message says `what` and PostgreSQL's words.
[[nodiscard]] absl::Status PgStatus(const PGresult* result, PGconn* conn,
                                    absl::string_view what);

class Connection;

// A prepared statement. Bind errors are remembered and returned by Step/Run.
class Statement {
 public:
  // `once`: deallocated on the server when destroyed (PrepareOnce).
  Statement(Connection* conn, std::string name, int params, bool once)
      : conn_(conn),
        name_(std::move(name)),
        params_(params),
        once_(once),
        values_(static_cast<size_t>(params)),
        formats_(static_cast<size_t>(params), 0) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

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

  // Runs the statement at the first call; true while a row is available.
  [[nodiscard]] absl::StatusOr<bool> Step();
  // Runs the statement, ignoring any rows.
  [[nodiscard]] absl::Status Run();

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;  // bytea
  bool ColumnIsNull(int column) const;
  int ColumnCount() const;
  std::optional<int64_t> ColumnOptionalInt(int column) const;

  // Makes the statement reusable and clears bindings and rows.
  void Reset();

 private:
  [[nodiscard]] absl::Status Execute();
  bool SlotOk(int index);

  Connection* conn_;
  std::string name_;
  int params_;
  bool once_;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
  absl::Status bind_status_;
  PgResultHandle result_;
  int row_ = -1;
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

// One PostgreSQL connection with its cache of prepared statements. Not
// thread safe: callers serialise access.
class Connection {
 public:
  // Connects with a libpq connection string or postgresql:// URL.
  // Unavailable when the server cannot be reached or refuses the login (the
  // message never repeats `conninfo`).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& conninfo);

  // Runs one or more statements without parameters or results.
  [[nodiscard]] absl::Status Exec(absl::string_view sql);
  // A statement prepared once and kept for the connection's life.
  [[nodiscard]] absl::StatusOr<CachedStatement> Prepare(const char* sql);
  // A statement for dynamically built SQL, deallocated when dropped.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Statement>> PrepareOnce(
      absl::string_view sql);

  // Rows changed by the last statement run.
  int64_t Changes() const { return changes_; }
  PGconn* raw() const { return conn_.get(); }

 private:
  friend class Statement;
  explicit Connection(PgConnHandle conn) : conn_(std::move(conn)) {}
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Statement>> PrepareNamed(
      absl::string_view sql, bool once);

  PgConnHandle conn_;
  std::map<const char*, std::unique_ptr<Statement>> cache_;
  int64_t next_statement_ = 0;
  int64_t changes_ = 0;
};

}  // namespace mdefleet::store::postgres

#endif  // MDEFLEET_SERVER_STORE_POSTGRES_PG_CONNECTION_H_

// The store's Connection and Statement (connection.h) on libpq: one
// connection with its prepared statements. The store's SQL writes
// parameters as ?N; they are sent as PostgreSQL's $N.
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
#include "server/store/connection.h"

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

class PgConnection;

// A prepared statement on the server (PQprepare).
class PgStatement final : public Statement {
 public:
  // `once`: deallocated on the server when destroyed (PrepareOnce).
  PgStatement(PgConnection* conn, std::string name, int params, bool once)
      : conn_(conn),
        name_(std::move(name)),
        params_(params),
        once_(once),
        values_(static_cast<size_t>(params)),
        formats_(static_cast<size_t>(params), 0) {}
  ~PgStatement() override;
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

  using Statement::Bind;
  void Bind(int index, int64_t value) override;
  void Bind(int index, absl::string_view text) override;
  void BindBlob(int index, absl::string_view bytes) override;
  void BindNull(int index) override;

  // Runs the statement at the first call; true while a row is available.
  [[nodiscard]] absl::StatusOr<bool> Step() override;
  // Runs the statement, ignoring any rows.
  [[nodiscard]] absl::Status Run() override;

  int64_t ColumnInt(int column) const override;
  std::string ColumnText(int column) const override;
  std::string ColumnBlob(int column) const override;  // bytea
  bool ColumnIsNull(int column) const override;
  int ColumnCount() const override;

  // Makes the statement reusable and clears bindings and rows.
  void Reset() override;

 private:
  [[nodiscard]] absl::Status Execute();
  bool SlotOk(int index);

  PgConnection* conn_;
  std::string name_;
  int params_;
  bool once_;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
  absl::Status bind_status_;
  PgResultHandle result_;
  int row_ = -1;
};

// One PostgreSQL connection with its cache of prepared statements. Not
// thread safe: callers serialise access.
class PgConnection final : public Connection {
 public:
  // Connects with a libpq connection string or postgresql:// URL.
  // Unavailable when the server cannot be reached or refuses the login (the
  // message never repeats `conninfo`).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PgConnection>> Open(
      const std::string& conninfo);

  // Runs one or more statements without parameters or results.
  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  [[nodiscard]] absl::Status Exec(absl::string_view sql) override;
  // A statement prepared once and kept for the connection's life.
  [[nodiscard]] absl::StatusOr<CachedStatement> Prepare(
      const char* sql) override;
  // A statement for dynamically built SQL, deallocated when dropped.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Statement>> PrepareOnce(
      absl::string_view sql) override;

  // Rows changed by the last statement run.
  int64_t Changes() const override { return changes_; }
  // Resets a lost connection (PQreset) and forgets its prepared statements,
  // which died with the session; `on_reconnect` statements run again.
  [[nodiscard]] absl::Status EnsureConnected() override;
  // What a new session needs first (e.g. "SET TIME ZONE 'UTC'"); run now
  // and after each reconnection.
  [[nodiscard]] absl::Status SetSessionSetup(std::string sql);
  PGconn* raw() const { return conn_.get(); }

 private:
  friend class PgStatement;
  explicit PgConnection(PgConnHandle conn) : conn_(std::move(conn)) {}
  [[nodiscard]] absl::StatusOr<std::unique_ptr<PgStatement>> PrepareNamed(
      absl::string_view sql, bool once);

  PgConnHandle conn_;
  std::string session_setup_;
  std::map<const char*, std::unique_ptr<PgStatement>> cache_;
  int64_t next_statement_ = 0;
  int64_t changes_ = 0;
};

}  // namespace mdefleet::store::postgres

#endif  // MDEFLEET_SERVER_STORE_POSTGRES_PG_CONNECTION_H_

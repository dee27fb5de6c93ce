#include "server/store/postgres/pg_connection.h"

#include <cstdlib>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace mdefleet::store::postgres {
namespace {

constexpr Oid kByteaOid = 17;  // pg_type.h: BYTEAOID

std::string Trimmed(const char* message) {
  return std::string(
      absl::StripTrailingAsciiWhitespace(message != nullptr ? message : ""));
}

// Notices (e.g. "relation already exists, skipping") are not errors: libpq
// would print them on stderr.
void IgnoreNotice(void*, const char*) {}

}  // namespace

std::string PostgresPlaceholders(absl::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;  // ' or " while inside quoted text
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote reopens at once
      out.push_back(c);
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?' && i + 1 < sql.size() &&
               absl::ascii_isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out.push_back('$');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

absl::Status PgStatus(const PGresult* result, PGconn* conn,
                      absl::string_view what) {
  const char* sqlstate = result != nullptr
                             ? PQresultErrorField(result, PG_DIAG_SQLSTATE)
                             : nullptr;
  const std::string message = Trimmed(
      result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn));
  const std::string text = absl::StrCat(what, ": ", message);
  const absl::string_view state = sqlstate != nullptr ? sqlstate : "";
  if (state == "23505") return absl::AlreadyExistsError(text);
  if (state == "40001" || state == "40P01") return absl::AbortedError(text);
  if (absl::StartsWith(state, "08") || state == "57P01" ||
      PQstatus(conn) != CONNECTION_OK) {
    return absl::UnavailableError(text);
  }
  return absl::InternalError(text);
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Open(
    const std::string& conninfo) {
  PgConnHandle conn(PQconnectdb(conninfo.c_str()));
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("PostgreSQL: out of memory");
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to PostgreSQL: ", Trimmed(PQerrorMessage(conn.get()))));
  }
  PQsetNoticeProcessor(conn.get(), IgnoreNotice, nullptr);
  // The primary message only: PostgreSQL's DETAIL repeats row values
  // ("Failing row contains (…)", token hashes among them), which must not
  // reach the log.
  PQsetErrorVerbosity(conn.get(), PQERRORS_TERSE);
  return absl::WrapUnique(new PgConnection(std::move(conn)));
}

absl::Status PgConnection::EnsureConnected() {
  // libpq notices a closed session only when it reads: read what is
  // pending now rather than fail the caller's first statement. Twice: a
  // terminated session's last message comes first, its end of stream at
  // the next read. Non-blocking reads; on a live session, no data.
  for (int read = 0; read < 2 && PQstatus(conn_.get()) == CONNECTION_OK;
       ++read) {
    if (PQconsumeInput(conn_.get()) == 0) break;
  }
  if (PQstatus(conn_.get()) == CONNECTION_OK) return absl::OkStatus();
  // The statements were the old session's: a name reused on the new one
  // must be prepared again.
  cache_.clear();
  PQreset(conn_.get());
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("lost the connection to PostgreSQL and cannot connect "
                     "again: ",
                     Trimmed(PQerrorMessage(conn_.get()))));
  }
  PQsetNoticeProcessor(conn_.get(), IgnoreNotice, nullptr);
  PQsetErrorVerbosity(conn_.get(), PQERRORS_TERSE);
  if (!session_setup_.empty()) return Exec(session_setup_);
  return absl::OkStatus();
}

absl::Status PgConnection::SetSessionSetup(std::string sql) {
  session_setup_ = std::move(sql);
  return Exec(session_setup_);
}

absl::Status PgConnection::Exec(absl::string_view sql) {
  const std::string text(sql);
  PgResultHandle result(PQexec(conn_.get(), text.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return PgStatus(result.get(), conn_.get(), "exec");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PgStatement>> PgConnection::PrepareNamed(
    absl::string_view sql, bool once) {
  const std::string name = absl::StrCat("mdf_", next_statement_++);
  const std::string text = PostgresPlaceholders(sql);
  PgResultHandle prepared(
      PQprepare(conn_.get(), name.c_str(), text.c_str(), 0, nullptr));
  if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
    // The statement's text helps whoever reads the error (parameters are
    // never in it).
    return PgStatus(prepared.get(), conn_.get(),
                    absl::StrCat("prepare \"", sql.substr(0, 160),
                                 sql.size() > 160 ? "…" : "", "\""));
  }
  PgResultHandle described(PQdescribePrepared(conn_.get(), name.c_str()));
  if (PQresultStatus(described.get()) != PGRES_COMMAND_OK) {
    return PgStatus(described.get(), conn_.get(), "describe");
  }
  return std::make_unique<PgStatement>(this, name, PQnparams(described.get()),
                                       once);
}

absl::StatusOr<CachedStatement> PgConnection::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    ASSIGN_OR_RETURN(std::unique_ptr<PgStatement> stmt,
                     PrepareNamed(sql, /*once=*/false));
    it = cache_.emplace(sql, std::move(stmt)).first;
  }
  return CachedStatement(it->second.get());
}

absl::StatusOr<std::unique_ptr<Statement>> PgConnection::PrepareOnce(
    absl::string_view sql) {
  return PrepareNamed(sql, /*once=*/true);
}

PgStatement::~PgStatement() {
  if (!once_ || PQstatus(conn_->raw()) != CONNECTION_OK) return;
  PgResultHandle(
      PQexec(conn_->raw(), absl::StrCat("DEALLOCATE ", name_).c_str()));
}

bool PgStatement::SlotOk(int index) {
  if (index >= 1 && index <= params_) return true;
  if (bind_status_.ok()) {
    bind_status_ = absl::InternalError(absl::StrCat(
        "bind: parameter ", index, " of a statement with ", params_));
  }
  return false;
}

void PgStatement::Bind(int index, int64_t value) {
  if (!SlotOk(index)) return;
  values_[index - 1] = absl::StrCat(value);
  formats_[index - 1] = 0;
}

void PgStatement::Bind(int index, absl::string_view text) {
  if (!SlotOk(index)) return;
  values_[index - 1] = std::string(text);
  formats_[index - 1] = 0;
}

void PgStatement::BindBlob(int index, absl::string_view bytes) {
  if (!SlotOk(index)) return;
  values_[index - 1] = std::string(bytes);
  formats_[index - 1] = 1;  // binary: bytes as they are
}

void PgStatement::BindNull(int index) {
  if (!SlotOk(index)) return;
  values_[index - 1].reset();
  formats_[index - 1] = 0;
}

absl::Status PgStatement::Execute() {
  RETURN_IF_ERROR(bind_status_);
  std::vector<const char*> values(values_.size());
  std::vector<int> lengths(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    values[i] = values_[i] ? values_[i]->data() : nullptr;
    lengths[i] = values_[i] ? static_cast<int>(values_[i]->size()) : 0;
  }
  result_.reset(PQexecPrepared(conn_->raw(), name_.c_str(), params_,
                               values.data(), lengths.data(), formats_.data(),
                               /*resultFormat=*/0));
  const ExecStatusType status = PQresultStatus(result_.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    absl::Status error = PgStatus(result_.get(), conn_->raw(), "statement");
    result_.reset();
    return error;
  }
  int64_t changed = 0;
  (void)absl::SimpleAtoi(PQcmdTuples(result_.get()), &changed);
  conn_->changes_ = changed;
  return absl::OkStatus();
}

absl::StatusOr<bool> PgStatement::Step() {
  if (result_ == nullptr) {
    RETURN_IF_ERROR(Execute());
    row_ = 0;
  } else {
    ++row_;
  }
  return row_ < PQntuples(result_.get());
}

absl::Status PgStatement::Run() {
  if (result_ == nullptr) return Execute();
  return absl::OkStatus();
}

bool PgStatement::ColumnIsNull(int column) const {
  return result_ == nullptr || PQgetisnull(result_.get(), row_, column) != 0;
}

int PgStatement::ColumnCount() const {
  return result_ == nullptr ? 0 : PQnfields(result_.get());
}

int64_t PgStatement::ColumnInt(int column) const {
  if (ColumnIsNull(column)) return 0;
  const absl::string_view text = PQgetvalue(result_.get(), row_, column);
  if (text == "t") return 1;  // boolean
  if (text == "f") return 0;
  int64_t value = 0;
  return absl::SimpleAtoi(text, &value) ? value : 0;
}

std::string PgStatement::ColumnText(int column) const {
  if (ColumnIsNull(column)) return std::string();
  return std::string(
      PQgetvalue(result_.get(), row_, column),
      static_cast<size_t>(PQgetlength(result_.get(), row_, column)));
}

std::string PgStatement::ColumnBlob(int column) const {
  if (ColumnIsNull(column)) return std::string();
  if (PQftype(result_.get(), column) != kByteaOid) return ColumnText(column);
  size_t length = 0;
  unsigned char* bytes =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(
                          PQgetvalue(result_.get(), row_, column)),
                      &length);
  if (bytes == nullptr) return std::string();
  std::string out(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return out;
}

void PgStatement::Reset() {
  result_.reset();
  row_ = -1;
  for (auto& value : values_) value.reset();
  for (int& format : formats_) format = 0;
  bind_status_ = absl::OkStatus();
}

}  // namespace mdefleet::store::postgres

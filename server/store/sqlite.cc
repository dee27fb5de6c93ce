#include "server/store/sqlite.h"

#include "absl/strings/str_cat.h"

namespace mdefleet::store {

absl::Status SqliteStatus(int code, absl::string_view what,
                          absl::string_view message) {
  std::string text =
      absl::StrCat(what, ": ", message, " (sqlite ", sqlite3_errstr(code), ")");
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(text);
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(text);
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return absl::DataLossError(text);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::FailedPreconditionError(text);
    case SQLITE_TOOBIG:
      return absl::ResourceExhaustedError(text);
    default:
      return absl::InternalError(text);
  }
}

void SqliteStatement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteStatus(rc, "bind", sqlite3_errmsg(db_));
  }
}

void SqliteStatement::Bind(int index, absl::string_view text) {
  int rc = sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteStatus(rc, "bind", sqlite3_errmsg(db_));
  }
}

void SqliteStatement::BindBlob(int index, absl::string_view bytes) {
  // A zero-length blob must still be a blob, not NULL.
  static const char kEmpty = 0;
  int rc = sqlite3_bind_blob64(stmt_.get(), index,
                               bytes.empty() ? &kEmpty : bytes.data(),
                               bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteStatus(rc, "bind", sqlite3_errmsg(db_));
  }
}

void SqliteStatement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteStatus(rc, "bind", sqlite3_errmsg(db_));
  }
}

absl::StatusOr<bool> SqliteStatement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(rc, sqlite3_sql(stmt_.get()), sqlite3_errmsg(db_));
}

absl::Status SqliteStatement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

int64_t SqliteStatement::ColumnInt(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::string SqliteStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     sqlite3_column_bytes(stmt_.get(), column));
}

std::string SqliteStatement::ColumnBlob(int column) const {
  const void* data = sqlite3_column_blob(stmt_.get(), column);
  if (data == nullptr) return "";
  return std::string(static_cast<const char*>(data),
                     sqlite3_column_bytes(stmt_.get(), column));
}

bool SqliteStatement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_status_ = absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, absl::StrCat("open ", path),
                        raw ? sqlite3_errmsg(raw) : "out of memory");
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(std::move(db)));
}

absl::Status SqliteConnection::Exec(absl::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db_.get());
    sqlite3_free(error);
    return SqliteStatus(rc, "exec", message);
  }
  return absl::OkStatus();
}

absl::StatusOr<CachedStatement> SqliteConnection::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT,
                                &raw, nullptr);
    StatementHandle stmt(raw);
    if (rc != SQLITE_OK) {
      return SqliteStatus(rc, absl::StrCat("prepare ", sql),
                          sqlite3_errmsg(db_.get()));
    }
    it = cache_
             .emplace(sql, std::make_unique<SqliteStatement>(db_.get(),
                                                             std::move(stmt)))
             .first;
  }
  return CachedStatement(it->second.get());
}

absl::StatusOr<std::unique_ptr<Statement>> SqliteConnection::PrepareOnce(
    absl::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(),
                              static_cast<int>(sql.size()), &raw, nullptr);
  StatementHandle stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, absl::StrCat("prepare ", sql),
                        sqlite3_errmsg(db_.get()));
  }
  return std::make_unique<SqliteStatement>(db_.get(), std::move(stmt));
}

absl::Status SqliteConnection::LastError(absl::string_view what) const {
  return SqliteStatus(sqlite3_extended_errcode(db_.get()), what,
                      sqlite3_errmsg(db_.get()));
}

}  // namespace mdefleet::store

#include "server/store/transaction.h"

#include "absl/strings/str_cat.h"

namespace mdefleet::store {

ScopedTransaction::ScopedTransaction(Connection& db) : db_(db) {
  // IMMEDIATE: SQLite takes the write lock now rather than failing busy at
  // the first write. PostgreSQL locks rows as they are written.
  begin_status_ = db_.Exec(
      db_.dialect() == SqlDialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  open_ = begin_status_.ok();
}

ScopedTransaction::~ScopedTransaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

absl::Status ScopedTransaction::Commit() {
  if (!open_) return absl::FailedPreconditionError("transaction not open");
  absl::Status status = db_.Exec("COMMIT");
  if (status.ok()) open_ = false;
  return status;
}

Savepoint::Savepoint(Connection& db, std::string name)
    : db_(db), name_(std::move(name)) {
  begin_status_ = db_.Exec(absl::StrCat("SAVEPOINT ", name_));
  open_ = begin_status_.ok();
}

Savepoint::~Savepoint() {
  if (open_) {
    (void)db_.Exec(absl::StrCat("ROLLBACK TO ", name_));
    (void)db_.Exec(absl::StrCat("RELEASE ", name_));
  }
}

absl::Status Savepoint::Release() {
  if (!open_) return absl::FailedPreconditionError("savepoint not open");
  absl::Status status = db_.Exec(absl::StrCat("RELEASE ", name_));
  if (status.ok()) open_ = false;
  return status;
}

}  // namespace mdefleet::store

// Scoped transactions and savepoints: roll back unless committed.
#ifndef MDEFLEET_SERVER_STORE_TRANSACTION_H_
#define MDEFLEET_SERVER_STORE_TRANSACTION_H_

#include <string>

#include "absl/status/status.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// BEGIN (IMMEDIATE on SQLite) on construction (check status()), ROLLBACK on
// destruction unless Commit() succeeded.
class ScopedTransaction {
 public:
  explicit ScopedTransaction(Connection& db);
  ~ScopedTransaction();
  ScopedTransaction(const ScopedTransaction&) = delete;
  ScopedTransaction& operator=(const ScopedTransaction&) = delete;

  const absl::Status& status() const { return begin_status_; }
  [[nodiscard]] absl::Status Commit();

 private:
  Connection& db_;
  absl::Status begin_status_;
  bool open_ = false;
};

// SAVEPOINT on construction, ROLLBACK TO + RELEASE on destruction unless
// Release() succeeded. Nests inside a transaction.
class Savepoint {
 public:
  Savepoint(Connection& db, std::string name);
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;

  const absl::Status& status() const { return begin_status_; }
  [[nodiscard]] absl::Status Release();

 private:
  Connection& db_;
  std::string name_;
  absl::Status begin_status_;
  bool open_ = false;
};

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_TRANSACTION_H_

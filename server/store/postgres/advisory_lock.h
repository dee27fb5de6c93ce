// A PostgreSQL session advisory lock held on a connection of its own: what
// makes one server replica at a time the one that runs the work that must
// run once across the cluster (docs/scale-out.md). PostgreSQL gives the lock
// back when the holder's connection ends, so a replica that dies, or loses
// the database, lets another take over.
#ifndef MDEFLEET_SERVER_STORE_POSTGRES_ADVISORY_LOCK_H_
#define MDEFLEET_SERVER_STORE_POSTGRES_ADVISORY_LOCK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/postgres/pg_connection.h"

namespace mdefleet::store::postgres {

class AdvisoryLock {
 public:
  AdvisoryLock(std::string url, int64_t key)
      : url_(std::move(url)), key_(key) {}

  // Takes the lock if no other session holds it: true when held now.
  // Connects first when there is no live connection. Unavailable when
  // PostgreSQL cannot be reached.
  [[nodiscard]] absl::StatusOr<bool> TryAcquire();
  // True while the lock is held: asks the server (a lost connection has
  // lost the lock). Not held: false.
  bool StillHeld();
  // Gives the lock back (closes the connection).
  void Release() { conn_.reset(); }

 private:
  const std::string url_;
  const int64_t key_;
  std::unique_ptr<PgConnection> conn_;
  bool held_ = false;
};

}  // namespace mdefleet::store::postgres

#endif  // MDEFLEET_SERVER_STORE_POSTGRES_ADVISORY_LOCK_H_

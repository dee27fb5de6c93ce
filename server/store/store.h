// The server's store: one write connection behind a group committer and a
// few read connections, on an embedded SQLite file (WAL, synchronous=FULL)
// or on a PostgreSQL database that server replicas share (--db URL;
// docs/scale-out.md).
#ifndef MDEFLEET_SERVER_STORE_STORE_H_
#define MDEFLEET_SERVER_STORE_STORE_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "server/store/group_commit.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

enum class OpenMode {
  // init: a SQLite file must not exist (it is created); a PostgreSQL
  // database must exist and be empty. Then it is migrated.
  kCreate,
  // serve: the store must exist; missing migrations are applied.
  kExisting,
};

class Store {
 public:
  // Opens (or creates) the store `db` names (a SQLite file or a
  // postgresql:// URL; see postgres/db_target.h), checks its identity and
  // schema version and applies missing migrations. InvalidArgument for a bad
  // `db`; FailedPrecondition with an operator-facing message for a
  // missing/existing store, a foreign database, a newer schema or an old
  // PostgreSQL; Unavailable when PostgreSQL cannot be reached.
  // `write_observer` (may be null; must outlive the store) hears of every
  // group-commit transaction.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Store>> Open(
      const std::string& db, OpenMode mode, const Clock& clock,
      WriteObserver* write_observer = nullptr);

  // Runs `fn` in a shared write transaction (group commit; see
  // GroupCommitter). Durable when Ok is returned; nothing of fn's changes is
  // kept when fn fails.
  [[nodiscard]] absl::Status Write(WriteFn fn) { return committer_->Write(fn); }

  // Runs `fn` on one of kReaders read connections (readers run beside each
  // other and the writer); waits for one when all are busy.
  [[nodiscard]] absl::Status Read(
      absl::FunctionRef<absl::Status(Connection&)> fn);

  GroupCommitter::Stats write_stats() const { return committer_->stats(); }
  // The SQLite file, or the PostgreSQL database as "database D on H:P".
  const std::string& display() const { return display_; }
  SqlDialect dialect() const { return writer_->dialect(); }
  // The schema version the store is at once open: the latest of its
  // backend's migrations.
  int schema_version() const;

 private:
  Store() = default;
  [[nodiscard]] absl::Status OpenSqlite(const std::string& path, OpenMode mode,
                                        const Clock& clock);
  [[nodiscard]] absl::Status OpenPostgres(const std::string& url, OpenMode mode,
                                          const Clock& clock);

  std::string display_;
  std::unique_ptr<Connection> writer_;
  // Polls read beside one another (RunnerHandlers::PollOnce); more
  // connections than cores gains nothing.
  static constexpr int kReaders = 4;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::unique_ptr<GroupCommitter> committer_;
  std::mutex read_mu_;
  std::condition_variable reader_free_;
  std::vector<Connection*> idle_readers_;
};

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_STORE_H_

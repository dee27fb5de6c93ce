// The server's SQLite store: one write connection behind a group committer
// and a few read connections, on a WAL database with synchronous=FULL.
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
  kCreate,    // init: the file must not exist; it is created and migrated
  kExisting,  // serve: the file must exist; missing migrations are applied
};

class Store {
 public:
  // Opens (or creates) the database, checks its identity and schema version
  // and applies missing migrations. FailedPrecondition with an operator-facing
  // message for a missing/existing file, a foreign file or a newer schema.
  // `write_observer` (may be null; must outlive the store) hears of every
  // group-commit transaction.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Store>> Open(
      const std::string& path, OpenMode mode, const Clock& clock,
      WriteObserver* write_observer = nullptr);

  // Runs `fn` in a shared write transaction (group commit; see
  // GroupCommitter). Durable when Ok is returned; nothing of fn's changes is
  // kept when fn fails.
  [[nodiscard]] absl::Status Write(WriteFn fn) { return committer_->Write(fn); }

  // Runs `fn` on one of kReaders read connections (WAL: readers run beside
  // each other and the writer); waits for one when all are busy.
  [[nodiscard]] absl::Status Read(
      absl::FunctionRef<absl::Status(Connection&)> fn);

  GroupCommitter::Stats write_stats() const { return committer_->stats(); }
  const std::string& path() const { return path_; }

 private:
  Store() = default;
  std::string path_;
  std::unique_ptr<SqliteConnection> writer_;
  // Polls read beside one another (RunnerHandlers::PollOnce); more
  // connections than cores gains nothing.
  static constexpr int kReaders = 4;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;
  std::unique_ptr<GroupCommitter> committer_;
  std::mutex read_mu_;
  std::condition_variable reader_free_;
  std::vector<Connection*> idle_readers_;
};

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_STORE_H_

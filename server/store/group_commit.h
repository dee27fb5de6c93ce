// Group commit: concurrent writers share one transaction (one fsync).
#ifndef MDEFLEET_SERVER_STORE_GROUP_COMMIT_H_
#define MDEFLEET_SERVER_STORE_GROUP_COMMIT_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "server/store/sqlite.h"
#include "server/store/write_observer.h"

namespace mdefleet::store {

using WriteFn = absl::FunctionRef<absl::Status(Connection&)>;

// Leader/follower batching of writes on one connection. A caller enqueues its
// write and blocks; the first caller that finds no leader becomes the leader,
// takes every queued write, runs them in one BEGIN IMMEDIATE ... COMMIT, each
// inside its own SAVEPOINT (a failing write is rolled back alone and gets its
// own error), then wakes the followers. Writers that arrive meanwhile form the
// next batch. A write is acknowledged only after its batch committed.
class GroupCommitter {
 public:
  struct Stats {
    uint64_t batches = 0;  // committed transactions
    uint64_t writes = 0;   // writes they carried
    size_t queued = 0;     // writes waiting for the next batch, now
  };

  // `max_batch` bounds the writes in one transaction; `observer` (may be
  // null; must outlive this) hears of each transaction run.
  explicit GroupCommitter(Connection& db, size_t max_batch = 1024,
                          WriteObserver* observer = nullptr)
      : db_(db), max_batch_(max_batch), observer_(observer) {}

  // Runs `fn` inside the shared transaction. Returns fn's error (its changes
  // rolled back), or the commit error, or Ok once durable.
  [[nodiscard]] absl::Status Write(WriteFn fn);

  Stats stats() const;

 private:
  struct Request {
    explicit Request(WriteFn f) : fn(f) {}
    WriteFn fn;
    absl::Status result;
    bool done = false;
  };
  void RunBatch(std::deque<Request*>& batch);

  Connection& db_;
  const size_t max_batch_;
  WriteObserver* const observer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;
  bool leader_active_ = false;
  Stats stats_;
};

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_GROUP_COMMIT_H_

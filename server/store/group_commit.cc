#include "server/store/group_commit.h"

#include <chrono>

#include "absl/time/time.h"
#include "server/store/transaction.h"

namespace mdefleet::store {
namespace {

// pg_advisory_xact_lock key of the store's writes ("mdfwrit" in ASCII).
constexpr char kClusterWriteLock[] =
    "SELECT pg_advisory_xact_lock(30791163714890100)";

}  // namespace

absl::Status GroupCommitter::Write(WriteFn fn) {
  Request request(fn);
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&request);
  while (!request.done) {
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    leader_active_ = true;
    std::deque<Request*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    for (Request* r : batch) r->done = true;
    leader_active_ = false;
    cv_.notify_all();
  }
  return request.result;
}

void GroupCommitter::RunBatch(std::deque<Request*>& batch) {
  // Wall time of the whole transaction, fsync included: what a writer waits
  // for once its batch has started.
  const auto start = std::chrono::steady_clock::now();
  if (absl::Status connected = db_.EnsureConnected(); !connected.ok()) {
    for (Request* r : batch) r->result = connected;
    return;
  }
  ScopedTransaction tx(db_);
  absl::Status begun = tx.status();
  if (begun.ok() && db_.dialect() == SqlDialect::kPostgres) {
    // One writer at a time across the replicas, as SQLite has one: the
    // store's transactions read and then write (a job's counters, a wave's
    // room, a device's next task), and were written for that. Held to the
    // commit; a replica that dies gives it back with its connection.
    begun = db_.Exec(kClusterWriteLock);
  }
  if (!begun.ok()) {
    for (Request* r : batch) r->result = begun;
    return;
  }
  for (Request* r : batch) {
    Savepoint savepoint(db_, "mdf_write");
    if (!savepoint.status().ok()) {
      r->result = savepoint.status();
      continue;
    }
    r->result = r->fn(db_);
    if (r->result.ok()) r->result = savepoint.Release();
  }
  absl::Status committed = tx.Commit();
  if (observer_ != nullptr) {
    observer_->OnTransaction(
        batch.size(),
        absl::FromChrono(std::chrono::steady_clock::now() - start));
  }
  if (!committed.ok()) {
    for (Request* r : batch) r->result = committed;
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.batches;
  stats_.writes += batch.size();
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats stats = stats_;
  stats.queued = queue_.size();
  return stats;
}

}  // namespace mdefleet::store

#include "server/service/seen_flusher.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "server/service/log.h"
#include "server/store/devices.h"

namespace mdefleet::service {

SeenFlusher::~SeenFlusher() {
  Stop();
  absl::Status flushed = Flush();
  if (!flushed.ok()) {
    LogEvent(absl::StrCat("last-seen times not written at shutdown: ",
                          flushed.message()));
  }
}

void SeenFlusher::Record(absl::string_view device_id, int64_t at_micros) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = pending_.try_emplace(device_id, at_micros);
  if (!inserted) it->second = std::max(it->second, at_micros);
}

size_t SeenFlusher::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

absl::Status SeenFlusher::Flush() {
  std::lock_guard<std::mutex> flushing(flush_mu_);
  absl::flat_hash_map<std::string, int64_t> taken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    taken.swap(pending_);
  }
  std::vector<std::pair<std::string, int64_t>> rows(
      std::make_move_iterator(taken.begin()),
      std::make_move_iterator(taken.end()));
  absl::Status first;
  for (size_t begin = 0; begin < rows.size(); begin += kMaxRowsPerWrite) {
    const size_t end = std::min(rows.size(), begin + kMaxRowsPerWrite);
    const absl::Span<const std::pair<std::string, int64_t>> batch =
        absl::MakeConstSpan(rows).subspan(begin, end - begin);
    first.Update(store_.Write(
        [&](store::Connection& db) { return store::RecordSeen(db, batch); }));
  }
  return first;
}

void SeenFlusher::Start(absl::Duration interval) {
  thread_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(thread_mu_);
    while (!stopping_) {
      thread_cv_.wait_for(lock, absl::ToChronoNanoseconds(interval));
      if (stopping_) break;
      lock.unlock();
      absl::Status flushed = Flush();
      if (!flushed.ok()) {
        LogEvent(
            absl::StrCat("last-seen times not written: ", flushed.message()));
      }
      lock.lock();
    }
  });
}

void SeenFlusher::Stop() {
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    stopping_ = true;
  }
  thread_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mdefleet::service

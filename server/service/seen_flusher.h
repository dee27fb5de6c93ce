// Last-seen times of idle polls, written in batches. A poll that finds
// nothing to do reads only (RunnerHandlers::PollOnce); its device's
// last_seen_at waits here and is written with the others seen in the same
// interval in one transaction. At 100,000 devices polling every 30 s that is
// one write of ~3,300 rows a second instead of 3,300 transactions queued
// behind the single SQLite writer.
#ifndef MDEFLEET_SERVER_SERVICE_SEEN_FLUSHER_H_
#define MDEFLEET_SERVER_SERVICE_SEEN_FLUSHER_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/store/store.h"

namespace mdefleet::service {

class SeenFlusher {
 public:
  // Rows per transaction: bounds how long one flush holds the writer.
  static constexpr size_t kMaxRowsPerWrite = 5000;

  explicit SeenFlusher(store::Store& store) : store_(store) {}
  // Stops the thread and writes what is pending.
  ~SeenFlusher();

  // `device_id` was seen at `at_micros` (the latest time per device wins).
  void Record(absl::string_view device_id, int64_t at_micros);

  // Writes everything recorded so far; the first error (what failed is
  // dropped: a later poll records the device again).
  [[nodiscard]] absl::Status Flush();

  // Flushes every `interval` on a background thread until Stop().
  void Start(absl::Duration interval);
  void Stop();

  size_t pending() const;

 private:
  store::Store& store_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, int64_t> pending_;  // device -> micros
  std::mutex flush_mu_;  // one flush at a time, in recording order
  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_SEEN_FLUSHER_H_

// Bounds on long-lived streams (WatchJob): at most `per_key` open at once
// for one key (the caller's credential) and `total` for the whole server.
// Each open stream holds a server thread, so without a bound one token could
// tie up the server's threads and memory.
#ifndef MDEFLEET_SERVER_SERVICE_STREAM_SLOTS_H_
#define MDEFLEET_SERVER_SERVICE_STREAM_SLOTS_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mdefleet::service {

struct StreamLimits {
  // 0 means no limit.
  int64_t per_credential = 8;
  int64_t total = 64;
};

class StreamSlots {
 public:
  // One open stream; gives its place back when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : slots_(other.slots_), key_(other.key_) {
      other.slots_ = nullptr;
    }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot();

   private:
    friend class StreamSlots;
    Slot(StreamSlots* slots, std::string key)
        : slots_(slots), key_(std::move(key)) {}
    StreamSlots* slots_;
    std::string key_;
  };

  // `what` names the stream in messages ("WatchJob"); `per_flag` and
  // `total_flag` the serve flags that set the limits.
  StreamSlots(StreamLimits limits, std::string what, std::string per_flag,
              std::string total_flag)
      : limits_(limits),
        what_(std::move(what)),
        per_flag_(std::move(per_flag)),
        total_flag_(std::move(total_flag)) {}

  // A place for one more stream of `key` (`who` names it in messages:
  // "token \"ops\""), or RESOURCE_EXHAUSTED naming the limit and its flag.
  [[nodiscard]] absl::StatusOr<Slot> Acquire(absl::string_view key,
                                             absl::string_view who);

  // Streams open now (for tests and metrics).
  int64_t open() const;

 private:
  void Release(const std::string& key);

  const StreamLimits limits_;
  const std::string what_;
  const std::string per_flag_;
  const std::string total_flag_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> open_by_key_ ABSL_GUARDED_BY(mu_);
  int64_t open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_STREAM_SLOTS_H_

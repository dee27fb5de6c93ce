// How many descriptors the server may have open before it refuses new
// enrollments and polls (RESOURCE_EXHAUSTED with a retry delay that runners
// honour with jitter, dropping their connection meanwhile), so a herd of
// runners (a GPO rollout, a server restart) spreads out instead of driving
// the process into EMFILE, after which gRPC's listener never accepts again.
// A sampling thread counts open descriptors; callers read the last count.
#ifndef MDEFLEET_SERVER_SERVICE_CONNECTION_BUDGET_H_
#define MDEFLEET_SERVER_SERVICE_CONNECTION_BUDGET_H_

#include <atomic>
#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/rpc_metadata.h"

namespace mdefleet::service {

// --max-connections 0 (auto): the open-files limit minus a reserve for the
// database, logs, the HTTP port and calls in progress.
int AutoMaxOpenDescriptors(uint64_t open_files_limit);

class ConnectionBudget {
 public:
  // Refuses once `max_open` descriptors are open; refused callers are told
  // to retry after `retry_after`. `count` returns the descriptors open now
  // (negative: unknown, never refuses). `on_change(saturated)` runs on the
  // sampling thread when the state flips (the health service's status).
  ConnectionBudget(int max_open, absl::Duration retry_after,
                   std::function<int()> count,
                   std::function<void(bool)> on_change = nullptr);
  ~ConnectionBudget();

  // Samples every `interval` on a thread of its own until destroyed.
  void Start(absl::Duration interval);
  // Takes one sample now.
  void Sample();

  // OK, or ResourceExhausted naming the limit, its flag and the delay.
  [[nodiscard]] absl::Status Admit() const;
  bool saturated() const { return saturated_.load(); }
  int open() const { return open_.load(); }
  int max_open() const { return max_open_; }
  absl::Duration retry_after() const { return retry_after_; }

 private:
  const int max_open_;
  const absl::Duration retry_after_;
  const std::function<int()> count_;
  const std::function<void(bool)> on_change_;
  std::atomic<int> open_{0};
  std::atomic<bool> saturated_{false};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_CONNECTION_BUDGET_H_

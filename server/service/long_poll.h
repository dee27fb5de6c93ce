// The PollTasks long-poll: a poll with no work waits (without holding a
// thread) until the device is woken with work or its wait passes.
#ifndef MDEFLEET_SERVER_SERVICE_LONG_POLL_H_
#define MDEFLEET_SERVER_SERVICE_LONG_POLL_H_

#include <prometheus/gauge.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/service/event_hub.h"
#include "server/service/peer_identity.h"
#include "server/service/runner_handlers.h"

namespace mdefleet::service {

using PollDone = std::function<void(absl::StatusOr<v1::PollTasksResponse>)>;

// One pending poll. Completed exactly once.
class PollCall {
 public:
  explicit PollCall(PollDone done) : done_(std::move(done)) {}
  // Calls `done` unless already completed; returns whether it did.
  bool Complete(absl::StatusOr<v1::PollTasksResponse> result);
  bool completed() const { return completed_.load(); }

 private:
  friend class LongPoller;
  PollDone done_;
  std::atomic<bool> completed_{false};
  std::string device_id;  // set once authenticated
  absl::Time deadline;
  std::string authorization;
  PeerIdentity peer;
  v1::PollTasksRequest request;
};

// Runs polls on a small worker pool (database work never runs on the gRPC
// callback threads) and keeps the waiting ones in a registry keyed by device.
// Wake() re-tries only the named devices that are waiting, each
// authenticated again first (a device revoked meanwhile gets the refusal at
// once); a timer completes waits at their deadline (read from the injected
// clock) with no tasks.
class LongPoller : public DeviceWaker {
 public:
  // `held` (may be null) counts the polls between Poll() and completion.
  LongPoller(RunnerHandlers& handlers, const Clock& clock, int workers = 4,
             prometheus::Gauge* held = nullptr);
  ~LongPoller() override;
  LongPoller(const LongPoller&) = delete;
  LongPoller& operator=(const LongPoller&) = delete;

  // Starts a poll; `done` is called exactly once, on a worker or timer thread
  // (or here after Stop()). Unauthenticated polls complete with that error,
  // as do polls whose `peer` may not act for the token's device.
  std::shared_ptr<PollCall> Poll(std::string authorization,
                                 v1::PollTasksRequest request, PollDone done,
                                 PeerIdentity peer = {});
  // The client went away: completes with Cancelled if still pending.
  void Cancel(const std::shared_ptr<PollCall>& call);

  void Wake(const std::vector<std::string>& device_ids, size_t max) override;
  // A wake re-tries at most `cap` devices (0: as many as asked). Serve sets
  // twice --max-tasks-in-flight: waking more only makes them poll and find
  // the fleet at its cap.
  void set_wake_cap(size_t cap) {
    std::lock_guard<std::mutex> lock(mu_);
    wake_cap_ = cap;
  }

  // Completes every waiting poll with no tasks and stops the threads.
  void Stop();

  size_t waiting() const;

 private:
  struct WorkItem {
    std::shared_ptr<PollCall> call;
    bool first;  // authenticate and refresh facts; else a re-try
  };
  void WorkerLoop();
  void TimerLoop();
  void Run(const WorkItem& item);
  void Park(const std::shared_ptr<PollCall>& call);
  void Unregister(const std::shared_ptr<PollCall>& call);

  RunnerHandlers& handlers_;
  const Clock& clock_;
  prometheus::Gauge* const held_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable timer_cv_;
  std::deque<WorkItem> work_;
  std::map<std::string, std::shared_ptr<PollCall>> waiting_;
  std::multimap<absl::Time, std::weak_ptr<PollCall>> deadlines_;
  // Devices between authentication and parking, and those woken meanwhile.
  std::map<std::string, int> in_flight_;
  std::set<std::string> woken_in_flight_;
  bool stopping_ = false;
  size_t wake_cap_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_LONG_POLL_H_

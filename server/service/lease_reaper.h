// Times out tasks whose lease expired (the runner stopped reporting).
#ifndef MDEFLEET_SERVER_SERVICE_LEASE_REAPER_H_
#define MDEFLEET_SERVER_SERVICE_LEASE_REAPER_H_

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/service/event_hub.h"
#include "server/store/store.h"

namespace mdefleet::service {

class LeaseReaper {
 public:
  LeaseReaper(store::Store& store, const Clock& clock, EventHub& hub)
      : store_(store), clock_(clock), hub_(hub) {}
  ~LeaseReaper() { Stop(); }

  // Times out every lease expired at the clock's now; returns how many.
  [[nodiscard]] absl::StatusOr<int> RunOnce();

  // Runs RunOnce every `interval` on a background thread until Stop().
  void Start(absl::Duration interval);
  void Stop();

 private:
  store::Store& store_;
  const Clock& clock_;
  EventHub& hub_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_LEASE_REAPER_H_

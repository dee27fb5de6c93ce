// The server's periodic upkeep of the queue: expired leases (the runner
// stopped reporting: retried or timed out), job deadlines (queued tasks
// expire) and waves whose --wave-interval ended (their devices are woken).
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

  // Handles every lease expired at the clock's now; returns how many.
  [[nodiscard]] absl::StatusOr<int> RunOnce();
  // Expires the queued tasks of jobs past their deadline; returns how many.
  [[nodiscard]] absl::StatusOr<int> ExpireDeadlinesOnce();
  // Wakes the waiting devices of jobs whose wave opened since the last call;
  // returns how many jobs.
  [[nodiscard]] absl::StatusOr<int> WakeOpenedWavesOnce();
  // Deletes failed steps' evidence and MDEClientAnalyzer result bundles
  // (with unfinished uploads) older than the retention (when one is set);
  // returns how many files, bundles and chunks. Tick does it at most every
  // 10 minutes.
  [[nodiscard]] absl::StatusOr<int64_t> DeleteOldEvidenceOnce();
  // Evidence is kept this long; zero: forever.
  void set_evidence_retention(absl::Duration retention) {
    evidence_retention_ = retention;
  }
  // All of them.
  [[nodiscard]] absl::Status Tick();

  // Runs Tick every `interval` on a background thread until Stop().
  void Start(absl::Duration interval);
  void Stop();

 private:
  store::Store& store_;
  const Clock& clock_;
  EventHub& hub_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int64_t waves_checked_until_ = 0;  // micros; 0: never (from the start)
  absl::Duration evidence_retention_ = absl::ZeroDuration();
  absl::Time evidence_swept_at_ = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_LEASE_REAPER_H_

// The server's one Defender API budget: the sliding-window rate limit the API
// enforces per tenant app (100 calls/min, 1500/h) and its persisted call log
// (defender_api_calls), shared by every worker that calls the API
// (api_offboard's OffboardWorker, onboard's ConfirmWorker) so that their
// calls together stay inside it, across restarts. Thread-safe: the workers
// run on their own threads.
#ifndef MDEFLEET_SERVER_DEFENDER_API_CALL_BUDGET_H_
#define MDEFLEET_SERVER_DEFENDER_API_CALL_BUDGET_H_

#include <cstdint>
#include <mutex>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/sliding_window_limiter.h"
#include "server/store/store.h"

namespace mdefleet::defender {

class ApiCallBudget {
 public:
  // `call_timeout`: what a call counts as in the persisted log until its
  // answer is back (its start plus this: the latest Defender could have
  // received it). `store` and `clock` must outlive the budget.
  ApiCallBudget(store::Store& store, const Clock& clock,
                SlidingWindowLimiter limiter,
                absl::Duration call_timeout = absl::Seconds(30));

  // Loads the persisted calls of the last hour (deleting older ones). Call
  // once, before any worker starts.
  [[nodiscard]] absl::Status Recover();

  // A call may start now.
  bool HasRoom() const;
  // The earliest time at or after `now` a call may start.
  absl::Time NextAllowed(absl::Time now) const;
  // Takes a slot and records the call (ResourceExhausted: no room); EndCall
  // moves it to when the answer came back.
  [[nodiscard]] absl::Status BeginCall(absl::Time* started, int64_t* id);
  [[nodiscard]] absl::Status EndCall(absl::Time started, int64_t id);
  // No call before `until` (a 429's Retry-After).
  void BlockUntil(absl::Time until);
  void Prune(absl::Time now);
  // Calls recorded in [now - length, now] (tests, logs).
  int64_t CallsWithin(absl::Time now, absl::Duration length) const;

 private:
  store::Store& store_;
  const Clock& clock_;
  absl::Duration call_timeout_;
  mutable std::mutex mu_;
  SlidingWindowLimiter limiter_;  // guarded by mu_
};

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_API_CALL_BUDGET_H_

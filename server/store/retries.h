// Running a task again as a new attempt: automatic retries under the job's
// policy (a retryable failure or a lost lease; decided by
// server/scheduler/retry_rules.h) and the operator's retry-failed. In the
// caller's transaction.
#ifndef MDEFLEET_SERVER_STORE_RETRIES_H_
#define MDEFLEET_SERVER_STORE_RETRIES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/scheduler/retry_rules.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

using RetrySlot = scheduler::RetrySlot;

// The automatic retry of `task` (LEASED/RUNNING, its attempt just failed at
// `now`), as scheduler::NextAutomaticRetry decides it from the task's and
// its job's rows; nullopt when the job allows none or the task is gone.
[[nodiscard]] absl::StatusOr<std::optional<RetrySlot>> AutomaticRetry(
    Connection& db, const TaskKey& task, int64_t now);

struct RequeueOptions {
  // true: an automatic retry (counts against the policy's retries, keeps its
  // wave slot); false: the operator's retry-failed (starts the retry count
  // again and takes a slot in the wave that leases it).
  bool automatic = true;
  int64_t not_before = 0;
  std::string message;  // the task's message until it is leased again
  // Steps of the ended attempt: pending ones become SKIPPED with
  // pending_message; running ones FAILED with running_message when set.
  std::string pending_message;
  std::string running_message;
};

// Queues `task` (LEASED, RUNNING, FAILED or TIMED_OUT) again as attempt+1:
// the old attempt's steps are closed and kept (superseded), the new one gets
// pending steps, the lease is dropped and the counters move.
[[nodiscard]] absl::Status RequeueTask(Connection& db, const TaskKey& task,
                                       const RequeueOptions& options,
                                       int64_t now, WriteEffects* effects);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_RETRIES_H_

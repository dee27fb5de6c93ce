// Running a task again as a new attempt: automatic retries under the job's
// policy (a retryable failure or a lost lease) and the operator's
// retry-failed. In the caller's transaction.
#ifndef MDEFLEET_SERVER_STORE_RETRIES_H_
#define MDEFLEET_SERVER_STORE_RETRIES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

// An automatic retry a task may have.
struct RetrySlot {
  int64_t at = 0;      // now + RetryDelay(backoff, number)
  int64_t number = 1;  // 1-based
  int64_t of = 0;      // the policy's retries
};

// The automatic retry of `task` (LEASED/RUNNING, its attempt just failed at
// `now`); nullopt when the job allows none: no retries left, the job is not
// PENDING, RUNNING or PAUSED, or the retry would start after its deadline.
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

// "retry 1 of 3 at 2024-03-01 12:01:00Z".
std::string RetryNote(const RetrySlot& retry);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_RETRIES_H_

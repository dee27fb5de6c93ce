// Times out tasks whose lease was not renewed by step reports.
#ifndef MDEFLEET_SERVER_STORE_LEASE_EXPIRY_H_
#define MDEFLEET_SERVER_STORE_LEASE_EXPIRY_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

inline constexpr char kLeaseExpiredMessage[] =
    "lease expired: the runner stopped reporting";
inline constexpr char kTaskTimeoutMessage[] =
    "task timeout reached: the task ran longer than the job's --task-timeout";
inline constexpr char kCancelledLeaseExpiredMessage[] =
    "job cancelled; the runner stopped reporting";

// Handles up to `limit` LEASED/RUNNING tasks whose lease expired at or before
// `now` (running steps FAILED, pending ones SKIPPED): a task of a cancelled
// job ends CANCELLED; one that reached the job's task timeout ends TIMED_OUT;
// one whose job allows another automatic retry is queued again (a lost lease
// is retryable); the others end TIMED_OUT. Counters and
// jobs are updated. Returns how many leases expired.
[[nodiscard]] absl::StatusOr<int> ExpireLeases(Connection& db, int64_t now,
                                               int limit,
                                               WriteEffects* effects);

// At server start: gives every leased or running task a full lease from
// `now` (never past its task timeout). While the server was down no runner
// could report or heartbeat; without this, a restart longer than a lease
// would take every task in flight away from runners that are still working.
// Returns how many leases were extended.
[[nodiscard]] absl::StatusOr<int> ExtendLeasesAfterRestart(
    Connection& db, int64_t now, absl::Duration lease_duration);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_LEASE_EXPIRY_H_

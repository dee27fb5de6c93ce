// Times out tasks whose lease was not renewed by step reports.
#ifndef MDEFLEET_SERVER_STORE_LEASE_EXPIRY_H_
#define MDEFLEET_SERVER_STORE_LEASE_EXPIRY_H_

#include "absl/status/statusor.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

inline constexpr char kLeaseExpiredMessage[] =
    "lease expired: the runner stopped reporting";

// Ends up to `limit` LEASED/RUNNING tasks whose lease expired at or before
// `now` as TIMED_OUT (running steps FAILED, pending ones SKIPPED), with the
// counters and jobs updated. Returns how many were timed out.
[[nodiscard]] absl::StatusOr<int> ExpireLeases(Connection& db, int64_t now,
                                               int limit,
                                               WriteEffects* effects);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_LEASE_EXPIRY_H_

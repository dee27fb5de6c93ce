// Maintenance windows where tasks are leased: the WHOLE_TASK predicate
// applied to NextQueued's candidates, and the job's windows copied into
// every LeasedTask (new leases and re-deliveries) so that the runner holds
// back steps that restart the machine until a window is open.
#ifndef MDEFLEET_SERVER_STORE_MAINTENANCE_LEASE_H_
#define MDEFLEET_SERVER_STORE_MAINTENANCE_LEASE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/runner.pb.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// Whether a queued task of a job with `policy` may be leased at `now`
// (microseconds, server clock) by a device with `facts`: false only for a
// WHOLE_TASK scope while no window is open in the device's local time
// (server clock + the offset its runner reports).
bool InMaintenanceWindowForLease(const v1::RolloutPolicy& policy,
                                 const v1::DeviceFacts& facts, int64_t now);

// Copies the windows of `policy` into `task`.
void CopyMaintenanceWindows(const v1::RolloutPolicy& policy,
                            v1::LeasedTask* task);

// Copies the windows of the job of `task` (read by its id) into `task`.
[[nodiscard]] absl::Status AttachMaintenanceWindows(Connection& db,
                                                    v1::LeasedTask* task);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_MAINTENANCE_LEASE_H_

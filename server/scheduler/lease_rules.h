// When a lease ends and whether a task may start now: plain rules the
// leasing, the step reports, the heartbeats and the lease reaper share.
#ifndef MDEFLEET_SERVER_SCHEDULER_LEASE_RULES_H_
#define MDEFLEET_SERVER_SCHEDULER_LEASE_RULES_H_

#include <cstdint>

#include "absl/time/time.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/runner.pb.h"

namespace mdefleet::scheduler {

// The expiry of a lease renewed at `now`: now + `lease_duration`, but never
// past the end of the job's task timeout (started_at + task timeout), so
// heartbeats keep a slow step alive without letting a task run forever.
int64_t RenewedLeaseExpiry(int64_t now, absl::Duration lease_duration,
                           int64_t started_at, int64_t task_timeout_micros);

// Whether an expired lease ended because the task timeout was reached rather
// than because the runner went silent.
bool TaskTimeoutReached(int64_t now, int64_t started_at,
                        int64_t task_timeout_micros);

// Whether a queued task of a job with `policy` may be leased at `now`
// (microseconds, server clock) by a device with `facts`: false only for a
// WHOLE_TASK scope while no window is open in the device's local time
// (server clock + the offset its runner reports).
bool MayStartInMaintenanceWindow(const v1::RolloutPolicy& policy,
                                 const v1::DeviceFacts& facts, int64_t now);

// Whether the fleet-wide cap (serve --max-tasks-in-flight; 0: none) leaves
// room for one more lease with `in_flight` tasks leased or running.
bool FleetHasRoom(int64_t in_flight, int64_t max_tasks_in_flight);

}  // namespace mdefleet::scheduler

#endif  // MDEFLEET_SERVER_SCHEDULER_LEASE_RULES_H_

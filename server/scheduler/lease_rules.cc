#include "server/scheduler/lease_rules.h"

#include <algorithm>

#include "common/maintenance_window.h"

namespace mdefleet::scheduler {

int64_t RenewedLeaseExpiry(int64_t now, absl::Duration lease_duration,
                           int64_t started_at, int64_t task_timeout_micros) {
  const int64_t renewed = now + absl::ToInt64Microseconds(lease_duration);
  if (task_timeout_micros <= 0) return renewed;
  return std::min(renewed, started_at + task_timeout_micros);
}

bool TaskTimeoutReached(int64_t now, int64_t started_at,
                        int64_t task_timeout_micros) {
  return task_timeout_micros > 0 && started_at + task_timeout_micros <= now;
}

bool MayStartInMaintenanceWindow(const v1::RolloutPolicy& policy,
                                 const v1::DeviceFacts& facts, int64_t now) {
  return TaskMayStartNow(policy, absl::FromUnixMicros(now),
                         facts.utc_offset_minutes());
}

bool FleetHasRoom(int64_t in_flight, int64_t max_tasks_in_flight) {
  return max_tasks_in_flight <= 0 || in_flight < max_tasks_in_flight;
}

}  // namespace mdefleet::scheduler

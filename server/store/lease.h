// Leasing: which task a polling device gets.
#ifndef MDEFLEET_SERVER_STORE_LEASE_H_
#define MDEFLEET_SERVER_STORE_LEASE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

// In the caller's transaction: re-delivers a live lease the device still
// holds (same lease id, lease renewed); otherwise leases the next QUEUED task
// of a PENDING/RUNNING job for the device, oldest job first, as the job's
// rollout allows (max_in_flight, wave budget and opening time, deadline,
// retry backoff: see rollout.h), planned with BuildPlan from `facts`. A task
// the device cannot run (BuildPlan error) ends FAILED with that message and
// the next one is tried. Leases last `server_lease` (renewed by reports and
// heartbeats), never past the job's task timeout. At most one task; nullopt
// when there is no work.
//
// `max_tasks_in_flight` (serve --max-tasks-in-flight; 0: none) caps the tasks
// leased or running across the fleet: at the cap nothing new is leased (a
// held lease is still re-delivered), so a fleet-wide job without
// --max-in-flight does not start every device at once.
[[nodiscard]] absl::StatusOr<std::optional<v1::LeasedTask>> LeaseTaskForDevice(
    Connection& db, absl::string_view device_id, const v1::DeviceFacts& facts,
    int64_t now, absl::Duration server_lease, int64_t max_tasks_in_flight,
    WriteEffects* effects);

// Whether LeaseTaskForDevice would find anything (a live lease to re-deliver
// or a task to lease now), read only: a poll answered "no work" without a
// write when it is false (RunnerHandlers::PollOnce).
[[nodiscard]] absl::StatusOr<bool> HasLeasableTask(Connection& db,
                                                   absl::string_view device_id,
                                                   const v1::DeviceFacts& facts,
                                                   int64_t now,
                                                   int64_t max_tasks_in_flight);

// A task's holder, lease and plan, as FetchArtifact checks them; nullopt when
// there is no such task.
struct TaskLeaseRecord {
  std::string device_id;
  v1::TaskState state = v1::TASK_STATE_UNSPECIFIED;
  std::string lease_id;          // "" when not leased
  int64_t lease_expires_at = 0;  // microseconds; 0 when not leased
  std::string plan;              // serialised v1::Plan
};
[[nodiscard]] absl::StatusOr<std::optional<TaskLeaseRecord>> ReadTaskLease(
    Connection& db, absl::string_view task_id);

// Tasks leased or running across the fleet (the jobs' counters; tasks the
// server runs itself, api_offboard, are not counted).
[[nodiscard]] absl::StatusOr<int64_t> FleetTasksInFlight(Connection& db);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_LEASE_H_

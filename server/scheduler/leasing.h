// Leasing: which task a polling device gets, decided over a LeaseStore.
#ifndef MDEFLEET_SERVER_SCHEDULER_LEASING_H_
#define MDEFLEET_SERVER_SCHEDULER_LEASING_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/scheduler/lease_store.h"

namespace mdefleet::scheduler {

struct LeaseLimits {
  absl::Duration server_lease;  // renewed by reports and heartbeats
  // serve --max-tasks-in-flight (0: none): at the cap nothing new is leased
  // (a held lease is still re-delivered), so a fleet-wide job without
  // --max-in-flight does not start every device at once.
  int64_t max_tasks_in_flight = 0;
};

// Re-delivers a live lease the device still holds (same lease id, lease
// renewed; a cancelled job's task is ended instead and the next looked at);
// otherwise leases the device's next queued task its job lets start now
// (oldest job first; a WHOLE_TASK maintenance window must be open in the
// device's local time), planned with BuildPlan from `facts`. A task the
// device cannot run (BuildPlan error) ends FAILED with that message and the
// next one is tried. Leases last `server_lease`, never past the job's task
// timeout. At most one task; nullopt when there is no work.
[[nodiscard]] absl::StatusOr<std::optional<v1::LeasedTask>> LeaseTaskForDevice(
    LeaseStore& store, absl::string_view device_id,
    const v1::DeviceFacts& facts, int64_t now, const LeaseLimits& limits);

// Whether LeaseTaskForDevice would find anything (a live lease to re-deliver
// or a task to lease now), read only: a poll is answered "no work" without a
// write when it is false.
[[nodiscard]] absl::StatusOr<bool> HasLeasableTask(LeaseStore& store,
                                                   absl::string_view device_id,
                                                   const v1::DeviceFacts& facts,
                                                   int64_t now,
                                                   int64_t max_tasks_in_flight);

}  // namespace mdefleet::scheduler

#endif  // MDEFLEET_SERVER_SCHEDULER_LEASING_H_

// The service half of WindowsHost: service states from the service control
// manager.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_SERVICES_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_SERVICES_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::runner::win {

// The ServiceState for a SERVICE_STATUS dwCurrentState value: STOPPED,
// START_PENDING, STOP_PENDING, RUNNING as such; PAUSED, PAUSE_PENDING,
// CONTINUE_PENDING and unknown values as OTHER.
v1::ServiceState ServiceStateFromWin32(uint32_t current_state);

// The current state of service `name` (its key name, e.g. "Sense"; compared
// case-insensitively by the SCM). SERVICE_STATE_ABSENT when it is not
// installed. Errors: InvalidArgument for a malformed name, PermissionDenied
// when the SCM refuses the query.
[[nodiscard]] absl::StatusOr<v1::ServiceState> QueryServiceState(
    absl::string_view name);

// Polls QueryServiceState every `poll_interval` until it returns `state` or
// `timeout` passes (a monotonic clock, so wall-clock changes do not matter).
// Returns `state` on success; DeadlineExceeded naming the last observed state
// otherwise; a query error ends the wait with that error.
[[nodiscard]] absl::StatusOr<v1::ServiceState> WaitForServiceState(
    absl::string_view name, v1::ServiceState state, absl::Duration timeout,
    absl::Duration poll_interval);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_SERVICES_H_

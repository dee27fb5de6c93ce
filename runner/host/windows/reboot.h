// Restarting the machine for WindowsHost::Reboot.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_REBOOT_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_REBOOT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mdefleet::runner::win {

// The shutdown reason recorded in the System event log (event 1074): a
// planned application maintenance restart.
uint32_t RestartReasonCode();

// The message shown to logged-on users and logged: "mdefleet: <reason>",
// cut to a length InitiateShutdownW accepts.
std::string RestartMessage(absl::string_view reason);

// Enables SeShutdownPrivilege in the process token and calls
// InitiateShutdownW(SHUTDOWN_RESTART | SHUTDOWN_FORCE_OTHERS) with `delay` as
// the grace period (whole seconds, capped at Windows' maximum). Returns once
// the restart is scheduled. A restart or shutdown already in progress or
// scheduled counts as success: the machine goes down either way and the
// runner resumes after boot. PermissionDenied when the privilege is not held
// (the runner must run as LocalSystem or an administrator).
[[nodiscard]] absl::Status InitiateRestart(absl::string_view reason,
                                           absl::Duration delay);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_REBOOT_H_

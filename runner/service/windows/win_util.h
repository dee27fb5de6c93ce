// Process facts the service glue needs that runner/host/windows/ does not
// provide. Win32 errors, UTF-16 conversion, handles and command-line quoting
// come from runner/host/windows/ (win_error.h, wide_string.h,
// unique_handle.h, command_line.h). Win32 only.
#ifndef MDEFLEET_RUNNER_SERVICE_WINDOWS_WIN_UTIL_H_
#define MDEFLEET_RUNNER_SERVICE_WINDOWS_WIN_UTIL_H_

#include <string>

#include "absl/status/statusor.h"

namespace mdefleet::runner::service_win {

// Full path of the running executable (GetModuleFileNameW), UTF-8.
[[nodiscard]] absl::StatusOr<std::string> CurrentExecutablePath();

// Whether this process runs under Wine (ntdll exports wine_get_version):
// tests use it to tell Wine's known gaps from real failures.
bool RunningUnderWine();

}  // namespace mdefleet::runner::service_win

#endif  // MDEFLEET_RUNNER_SERVICE_WINDOWS_WIN_UTIL_H_

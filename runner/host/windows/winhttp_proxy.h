// The system WinHTTP proxy (`netsh winhttp set proxy`), read with
// WinHttpGetDefaultProxyConfiguration: WindowsHost::GetWinHttpProxy, the
// runner's proxy facts and the proxy named in CheckUrl's errors.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_WINHTTP_PROXY_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_WINHTTP_PROXY_H_

#include "absl/status/statusor.h"
#include "runner/host/host.h"

namespace mdefleet::runner::win {

// The configured proxy and bypass list; an empty proxy for direct access.
// Errors name the Win32 error of WinHttpGetDefaultProxyConfiguration.
[[nodiscard]] absl::StatusOr<WinHttpProxy> ReadWinHttpProxy();

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_WINHTTP_PROXY_H_

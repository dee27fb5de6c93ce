// Web Proxy Auto-Discovery as WinHTTP does it for a service: DHCP and DNS
// "wpad" lookups for a PAC file, then the PAC file's answer for one URL
// (WinHttpGetProxyForUrl with WINHTTP_AUTOPROXY_AUTO_DETECT). The sensor
// tries it after its static proxy and the system WinHTTP proxy (seed 004).
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_WPAD_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_WPAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mdefleet::runner::win {

// The first proxy ("host:port") the PAC file names for `url`; "" when no
// PAC file is found or it answers DIRECT. Errors (naming WPAD and the
// WinHTTP error) for a PAC file that cannot be downloaded or run.
[[nodiscard]] absl::StatusOr<std::string> DiscoverProxyForUrl(
    absl::string_view url, absl::Duration timeout);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_WPAD_H_

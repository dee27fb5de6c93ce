// Connectivity checks for WindowsHost::CheckUrl, with WinHTTP and the
// system's WinHTTP proxy (`netsh winhttp set proxy`), which is what the
// Defender for Endpoint sensor uses.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_NETWORK_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_NETWORK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mdefleet::runner::win {

struct UrlCheckOptions {
  // Also accept http:// URLs. The product checks https:// only; tests use a
  // plain-HTTP server on loopback.
  bool allow_http = false;
  // Limit for each of name resolution, connect, send and receive.
  absl::Duration timeout = absl::Seconds(15);
  // "host:port": through this proxy (WINHTTP_ACCESS_TYPE_NAMED_PROXY, as
  // the sensor uses its TelemetryProxyServer); "": the system WinHTTP proxy,
  // else direct.
  std::string proxy;
  // SHA-1 thumbprints (upper-case hex) of roots accepted besides
  // kDefenderPublicRoots (runner/host/defender_tls_roots.h): the
  // DefenderTlsRoots setting.
  std::vector<std::string> extra_trusted_roots;
};

// GETs `url` (redirects not followed) and succeeds on any HTTP answer, as the
// sensor's connectivity test does, except a proxy's 407 (authentication
// required) or, through a proxy, 403, and, for https://, an answer whose
// certificate chains to a root that is not one Microsoft's endpoints use
// (TLS inspection re-signed it). Errors: InvalidArgument for a URL that is
// not https:// (or http:// when allowed); Unavailable naming the WinHTTP
// error, what it means (DNS, TCP, TLS, timeout) and the proxy in use.
[[nodiscard]] absl::Status CheckUrlReachable(absl::string_view url,
                                             const UrlCheckOptions& options);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_NETWORK_H_

// The proxy a device reaches Defender for Endpoint through, in the order the
// sensor tries them (seed 004): the EDR static proxy (TelemetryProxyServer),
// else the system WinHTTP proxy, else what Web Proxy Auto-Discovery (WPAD)
// finds for the URL, else direct access. Read when a check_url step with
// via_configured_proxy runs, so a configure_proxy just before counts.
#ifndef MDEFLEET_RUNNER_EXECUTOR_CONFIGURED_PROXY_H_
#define MDEFLEET_RUNNER_EXECUTOR_CONFIGURED_PROXY_H_

#include <string>

#include "absl/status/statusor.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

struct ConfiguredProxy {
  // What to give Host::CheckUrl: the EDR proxy, or "" for WinHTTP's default
  // (the system proxy with its bypass list, else direct).
  std::string check_url_proxy;
  // For messages: "through proxy 10.0.0.6:8080 (EDR static proxy,
  // TelemetryProxyServer)", "through the system WinHTTP proxy 10.0.0.6:8080"
  // or "with direct access (no EDR static proxy or system WinHTTP proxy
  // configured)".
  std::string description;
};

// Errors: the registry or WinHTTP could not be read (message says which).
[[nodiscard]] absl::StatusOr<ConfiguredProxy> ResolveConfiguredProxy(
    Host& host, absl::string_view url);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_EXECUTOR_CONFIGURED_PROXY_H_

// The network a simulated Windows Server sits on: direct internet access,
// none at all ("noconn"), or a way out only through one proxy
// ("proxy=host:port"). Answers connections the way WinHTTP would, with the
// same error names as WindowsHost::CheckUrl.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_NETWORK_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_NETWORK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runner/host/sim/sim_machine.h"

namespace mdefleet::runner::sim {

// The root CA a TLS-inspecting network ("tlsinspect") re-signs with.
inline constexpr absl::string_view kSimInspectionRoot =
    "Contoso TLS Inspection Root CA";

// An HTTPS GET of `url` (host `host`) through `proxy` ("host:port"), or with
// "" through the machine's WinHTTP proxy (unless its bypass list names the
// host), else direct. Unavailable "cannot reach <url>: ERROR_WINHTTP_... -
// <meaning> (<proxy used>)" when the network does not let it out; the
// proxy's 407 ("proxyauth") and TLS inspection ("tlsinspect") are failures
// too (runner/host/connectivity_messages.h).
[[nodiscard]] absl::Status SimConnect(const SimMachine& machine,
                                      absl::string_view url,
                                      absl::string_view host,
                                      absl::string_view proxy);

// What WPAD finds on this network: its proxy with "wpad", else "".
std::string SimDiscoverProxy(const SimMachine& machine);

// The proxy the sensor uses: TelemetryProxyServer, else "" (WinHTTP's).
std::string SimSensorProxy(const SimMachine& machine);

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_NETWORK_H_

// The three proxies of a device (EDR sensor, Defender Antivirus, system
// WinHTTP) as DeviceFacts.proxy, read through the Host from where
// configure_proxy (and Group Policy) put them: common/proxy_config.h.
#ifndef MDEFLEET_RUNNER_FACTS_PROXY_FACTS_H_
#define MDEFLEET_RUNNER_FACTS_PROXY_FACTS_H_

#include "absl/status/statusor.h"
#include "mdefleet/v1/types.pb.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// Absent values are empty fields; a value of the wrong type (a REG_DWORD
// where a string belongs) is reported as absent, as the sensor ignores it.
// Errors only when the registry or WinHTTP cannot be read.
[[nodiscard]] absl::StatusOr<v1::ProxySettings> CollectProxyFacts(Host& host);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_FACTS_PROXY_FACTS_H_

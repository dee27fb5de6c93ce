// configure_proxy's flags of `jobs submit`: --edr-proxy, --av-proxy,
// --av-proxy-pac-url, --av-proxy-bypass, --prefer-static-proxy,
// --ssl-options, --winhttp set|reset, --winhttp-proxy, --winhttp-bypass,
// --clear-proxy. Turned into JobParameters.proxy; the server checks the
// combination and the syntax (common/proxy_config.h) and names the field.
#ifndef MDEFLEET_SERVER_CLI_PROXY_FLAGS_H_
#define MDEFLEET_SERVER_CLI_PROXY_FLAGS_H_

#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet::cli {

// The flags as typed; empty strings are "not given".
struct ProxyFlags {
  std::string edr_proxy;
  std::string av_proxy;
  std::string av_proxy_pac_url;
  std::string av_proxy_bypass;
  bool prefer_static_proxy = false;
  std::string ssl_options;  // 0 | 1 | 2
  std::string winhttp;      // set | reset
  std::string winhttp_proxy;
  std::string winhttp_bypass;
  bool clear = false;
};

// Registers the flags on `submit`, writing into `flags`.
void AddProxyFlags(CLI::App* submit, ProxyFlags* flags);

// The ProxyConfig of the flags, nullopt when none was given. Usage errors
// name the flag (--ssl-options not a number, --winhttp not set/reset).
[[nodiscard]] absl::StatusOr<std::optional<v1::ProxyConfig>> BuildProxyConfig(
    const ProxyFlags& flags);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_PROXY_FLAGS_H_

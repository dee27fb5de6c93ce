// The three proxies of a Defender for Endpoint device (seed 004, DESIGN.md
// section 4): where Windows keeps them, how configure_proxy's parameters are
// checked, and how to tell when a device's proxies disagree.
//
// - EDR sensor: TelemetryProxyServer ("host:port", REG_SZ) and
//   DisableEnterpriseAuthProxy=1 under Policies\...\DataCollection; fully
//   offline devices also PreferStaticProxyForHttpRequest=1 under the ATP
//   policy key. Without it the sensor uses the system WinHTTP proxy.
// - Defender Antivirus: ProxyServer ("http://host:port" - the scheme is
//   required), ProxyPacUrl, ProxyBypass under Policies\...\Windows Defender;
//   SSLOptions under ...\Windows Defender\Spynet.
// - System WinHTTP proxy: `netsh winhttp set proxy host:port [bypass]` /
//   `netsh winhttp reset proxy`.
#ifndef MDEFLEET_COMMON_PROXY_CONFIG_H_
#define MDEFLEET_COMMON_PROXY_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/host_port.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet {
namespace proxy {

// Registry locations (HKLM, without the hive).
inline constexpr absl::string_view kDataCollectionKey =
    "SOFTWARE\\Policies\\Microsoft\\Windows\\DataCollection";
inline constexpr absl::string_view kTelemetryProxyServerValue =
    "TelemetryProxyServer";
inline constexpr absl::string_view kDisableEnterpriseAuthProxyValue =
    "DisableEnterpriseAuthProxy";
// Under mde::kAtpPolicyKey.
inline constexpr absl::string_view kPreferStaticProxyValue =
    "PreferStaticProxyForHttpRequest";
inline constexpr absl::string_view kDefenderPolicyKey =
    "SOFTWARE\\Policies\\Microsoft\\Windows Defender";
inline constexpr absl::string_view kProxyServerValue = "ProxyServer";
inline constexpr absl::string_view kProxyPacUrlValue = "ProxyPacUrl";
inline constexpr absl::string_view kProxyBypassValue = "ProxyBypass";
inline constexpr absl::string_view kSpynetPolicyKey =
    "SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Spynet";
inline constexpr absl::string_view kSslOptionsValue = "SSLOptions";

// Longest proxy, PAC URL or bypass list accepted (WinHTTP and the policy
// templates have no smaller documented limit; longer is surely a mistake).
inline constexpr size_t kMaxSettingLength = 2048;

}  // namespace proxy

// Parses a Defender Antivirus ProxyServer "http://host:port" or
// "https://host:port" (a trailing "/" allowed).
[[nodiscard]] absl::StatusOr<HostPort> ParseSchemeProxy(absl::string_view text);

// The endpoint a proxy setting names, lowercase "host:port", for comparing
// the three proxies: accepts "host:port", "http(s)://host:port[/]" and
// WinHTTP's per-scheme list "http=a:80;https=b:443" (the https entry counts:
// the sensor and Defender connect over HTTPS). Unparsable text comes back
// lowercased as it is.
std::string ProxyEndpoint(absl::string_view proxy);

// Checks configure_proxy's parameters; InvalidArgument naming the field
// ("parameters.proxy.edr_proxy: ...") otherwise. Rules: at least one setting;
// clear excludes everything but winhttp RESET; edr_proxy and winhttp_proxy
// are host:port; av_proxy has an http:// or https:// scheme; the PAC URL is
// an http(s) URL; bypass lists are ';'-separated names without spaces;
// ssl_options is 0, 1 or 2; winhttp_proxy/winhttp_bypass only with winhttp
// SET, which needs winhttp_proxy or edr_proxy.
[[nodiscard]] absl::Status ValidateProxyConfig(const v1::ProxyConfig& config);

// Advice about a valid config that is legal but probably not what the
// operator wants (SSLOptions=2 turns off the CRL check).
std::vector<std::string> ProxyConfigWarnings(const v1::ProxyConfig& config);

// The proxy WinHTTP is set to by configure_proxy: winhttp_proxy, else
// edr_proxy.
std::string WinHttpProxyOf(const v1::ProxyConfig& config);

// The device's proxy settings after `config` is applied to `before`.
v1::ProxySettings ApplyProxyConfig(const v1::ProxySettings& before,
                                   const v1::ProxyConfig& config);

// Readable lines saying which of the three proxies (EDR sensor, Defender
// Antivirus, system WinHTTP) disagree with each other or are missing while
// another is set; empty when they agree or none is set (direct access).
// An AV proxy given by a PAC URL counts as set but is not compared. Used for
// the fleet summary's "proxy_mismatch" need (fixed by configure_proxy) and
// as a plan warning at submit.
std::vector<std::string> ProxyDisagreements(const v1::ProxySettings& settings);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_PROXY_CONFIG_H_

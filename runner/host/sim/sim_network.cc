#include "runner/host/sim/sim_network.h"

#include <variant>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/job_spec_validation.h"
#include "common/proxy_config.h"
#include "runner/host/connectivity_messages.h"

namespace mdefleet::runner::sim {
namespace {

// WinHTTP bypass list semantics: "<local>" is every name without a dot,
// other entries are globs.
bool Bypassed(absl::string_view bypass, absl::string_view host) {
  for (absl::string_view entry :
       absl::StrSplit(bypass, absl::ByAnyChar("; "), absl::SkipEmpty())) {
    if (absl::EqualsIgnoreCase(entry, "<local>")) {
      if (!absl::StrContains(host, '.')) return true;
    } else if (GlobMatches(entry, host)) {
      return true;
    }
  }
  return false;
}

[[nodiscard]] absl::Status Unreachable(absl::string_view url,
                                       absl::string_view error,
                                       absl::string_view via) {
  return absl::UnavailableError(
      absl::StrCat("cannot reach ", url, ": ", error, " (", via, ")"));
}

constexpr absl::string_view kTimeout =
    "ERROR_WINHTTP_TIMEOUT - timed out (firewall dropping packets, proxy)";
constexpr absl::string_view kCannotConnect =
    "ERROR_WINHTTP_CANNOT_CONNECT - TCP: the connection was refused or could "
    "not be made (firewall, proxy)";

}  // namespace

absl::Status SimConnect(const SimMachine& m, absl::string_view url,
                        absl::string_view host, absl::string_view proxy) {
  std::string used(proxy);
  std::string via = absl::StrCat("proxy ", proxy);
  if (used.empty() && !m.winhttp_proxy.empty() &&
      !Bypassed(m.winhttp_bypass, host)) {
    used = m.winhttp_proxy;
    via = absl::StrCat("system WinHTTP proxy ", m.winhttp_proxy);
  }
  if (used.empty()) via = "no proxy: direct access";
  if (m.profile.no_connectivity) {
    return Unreachable(url, kTimeout,
                       absl::StrCat(via, "; no internet connectivity"));
  }
  if (used.empty()) {
    // Only a proxy gets out of a proxied network; firewalls drop the rest.
    if (!m.profile.proxy.empty()) return Unreachable(url, kTimeout, via);
  } else if (m.profile.proxy.empty() ||
             ProxyEndpoint(used) != ProxyEndpoint(m.profile.proxy)) {
    // No such proxy on this network.
    return Unreachable(url, kCannotConnect, via);
  } else if (m.profile.proxy_auth) {
    return absl::UnavailableError(ProxyAuthenticationMessage(url, via));
  }
  if (!m.profile.allowed_domains.empty() &&
      absl::StartsWithIgnoreCase(url, "https://") &&
      !absl::c_any_of(m.profile.allowed_domains, [&](const std::string& d) {
        return absl::EqualsIgnoreCase(host, d) ||
               absl::EndsWithIgnoreCase(host, absl::StrCat(".", d));
      })) {
    return Unreachable(
        url, kTimeout,
        absl::StrCat(via, "; the firewall lets HTTPS out only to ",
                     absl::StrJoin(m.profile.allowed_domains, ", ")));
  }
  // The plain-HTTP revocation endpoints carry no TLS to inspect.
  if (m.profile.tls_inspection && absl::StartsWithIgnoreCase(url, "https://")) {
    return absl::UnavailableError(
        TlsInspectionMessage(url, kSimInspectionRoot, via));
  }
  return absl::OkStatus();
}

std::string SimDiscoverProxy(const SimMachine& m) {
  return m.profile.wpad && !m.profile.no_connectivity ? m.profile.proxy : "";
}

std::string SimSensorProxy(const SimMachine& m) {
  auto v = m.registry.Read(proxy::kDataCollectionKey,
                           proxy::kTelemetryProxyServerValue);
  if (v && std::holds_alternative<std::string>(*v)) {
    return std::get<std::string>(*v);
  }
  return "";
}

}  // namespace mdefleet::runner::sim

#include "runner/facts/proxy_facts.h"

#include <optional>
#include <string>

#include "common/mde_constants.h"
#include "common/proxy_config.h"
#include "common/status_macros.h"
#include "runner/facts/registry_values.h"

namespace mdefleet::runner {

absl::StatusOr<v1::ProxySettings> CollectProxyFacts(Host& host) {
  v1::ProxySettings p;
  ASSIGN_OR_RETURN(*p.mutable_edr_proxy(),
                   ReadString(host, proxy::kDataCollectionKey,
                              proxy::kTelemetryProxyServerValue));
  ASSIGN_OR_RETURN(std::optional<uint32_t> no_auth,
                   ReadDword(host, proxy::kDataCollectionKey,
                             proxy::kDisableEnterpriseAuthProxyValue));
  p.set_disable_enterprise_auth_proxy(no_auth.value_or(0) == 1);
  ASSIGN_OR_RETURN(
      std::optional<uint32_t> prefer_static,
      ReadDword(host, mde::kAtpPolicyKey, proxy::kPreferStaticProxyValue));
  p.set_prefer_static_proxy(prefer_static.value_or(0) == 1);
  ASSIGN_OR_RETURN(
      *p.mutable_av_proxy(),
      ReadString(host, proxy::kDefenderPolicyKey, proxy::kProxyServerValue));
  ASSIGN_OR_RETURN(
      *p.mutable_av_proxy_pac_url(),
      ReadString(host, proxy::kDefenderPolicyKey, proxy::kProxyPacUrlValue));
  ASSIGN_OR_RETURN(
      *p.mutable_av_proxy_bypass(),
      ReadString(host, proxy::kDefenderPolicyKey, proxy::kProxyBypassValue));
  ASSIGN_OR_RETURN(
      std::optional<uint32_t> ssl,
      ReadDword(host, proxy::kSpynetPolicyKey, proxy::kSslOptionsValue));
  if (ssl) p.set_ssl_options(*ssl);
  ASSIGN_OR_RETURN(WinHttpProxy winhttp, host.GetWinHttpProxy());
  p.set_winhttp_proxy(winhttp.proxy);
  p.set_winhttp_bypass(winhttp.bypass);
  return p;
}

}  // namespace mdefleet::runner

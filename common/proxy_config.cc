#include "common/proxy_config.h"

#include <cstddef>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace mdefleet {
namespace {

constexpr absl::string_view kField = "parameters.proxy.";

[[nodiscard]] absl::Status BadProxy(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

[[nodiscard]] absl::Status Invalid(absl::string_view field,
                                   absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(kField, field, ": ", what));
}

// The same error with the field in front.
[[nodiscard]] absl::Status InField(absl::string_view field,
                                   const absl::Status& s) {
  if (s.ok()) return s;
  return Invalid(field, s.message());
}

bool HasSpaceOrControl(absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

// "<local>;*.corp;10.*": ';'-separated entries without spaces or quotes.
[[nodiscard]] absl::Status CheckBypassList(absl::string_view list) {
  if (list.size() > proxy::kMaxSettingLength) {
    return BadProxy(
        absl::StrCat("longer than ", proxy::kMaxSettingLength, " characters"));
  }
  int index = 0;
  for (absl::string_view entry : absl::StrSplit(list, ';')) {
    ++index;
    if (entry.empty()) {
      return BadProxy(absl::StrCat("entry ", index,
                                   " is empty; separate names with one ';' "
                                   "(e.g. <local>;*.corp.contoso.com)"));
    }
    if (HasSpaceOrControl(entry) || absl::StrContains(entry, '"')) {
      return BadProxy(absl::StrCat("entry ", index, " \"", entry,
                                   "\" contains a space, a quote or a control "
                                   "character; separate names with ';'"));
    }
  }
  return absl::OkStatus();
}

// The scheme prefix of an http(s) URL, "" when neither.
absl::string_view HttpScheme(absl::string_view url) {
  if (absl::StartsWithIgnoreCase(url, "https://")) return url.substr(0, 8);
  if (absl::StartsWithIgnoreCase(url, "http://")) return url.substr(0, 7);
  return "";
}

[[nodiscard]] absl::Status CheckPacUrl(absl::string_view url) {
  if (url.size() > proxy::kMaxSettingLength) {
    return BadProxy(
        absl::StrCat("longer than ", proxy::kMaxSettingLength, " characters"));
  }
  const absl::string_view scheme = HttpScheme(url);
  if (scheme.empty()) {
    return BadProxy(absl::StrCat("\"", url,
                                 "\" must start with http:// or https:// (e.g. "
                                 "http://wpad.contoso.com/proxy.pac)"));
  }
  if (HasSpaceOrControl(url)) {
    return BadProxy("contains a space or a control character");
  }
  absl::string_view rest = url.substr(scheme.size());
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty())
    return BadProxy(absl::StrCat("\"", url, "\" has no host"));
  if (absl::StrContains(authority, '@')) {
    return BadProxy("must not carry a user name or password");
  }
  if (authority.front() == '[' || absl::StrContains(authority, ':')) {
    return ParseHostPort(authority).status();
  }
  return CheckHost(authority);
}

bool HasAnySetting(const v1::ProxyConfig& c) {
  return !c.edr_proxy().empty() || c.prefer_static_proxy() ||
         !c.av_proxy().empty() || !c.av_proxy_pac_url().empty() ||
         !c.av_proxy_bypass().empty() || c.has_ssl_options() ||
         c.winhttp() != v1::WINHTTP_PROXY_LEAVE || !c.winhttp_proxy().empty() ||
         !c.winhttp_bypass().empty();
}

[[nodiscard]] absl::Status ValidateClear(const v1::ProxyConfig& c) {
  const std::pair<bool, absl::string_view> others[] = {
      {!c.edr_proxy().empty(), "edr_proxy"},
      {c.prefer_static_proxy(), "prefer_static_proxy"},
      {!c.av_proxy().empty(), "av_proxy"},
      {!c.av_proxy_pac_url().empty(), "av_proxy_pac_url"},
      {!c.av_proxy_bypass().empty(), "av_proxy_bypass"},
      {c.has_ssl_options(), "ssl_options"},
      {c.winhttp() == v1::WINHTTP_PROXY_SET, "winhttp"},
      {!c.winhttp_proxy().empty(), "winhttp_proxy"},
      {!c.winhttp_bypass().empty(), "winhttp_bypass"},
  };
  for (const auto& [set, field] : others) {
    if (set) {
      return Invalid(field,
                     "cannot be combined with clear (clear removes every "
                     "proxy value; only winhttp RESET may go with it)");
    }
  }
  return absl::OkStatus();
}

// An endpoint compared across the three proxies: lowercase "host:port".
std::string Endpoint(const HostPort& hp) {
  return absl::StrCat(absl::AsciiStrToLower(hp.host), ":", hp.port);
}

struct SeenProxy {
  absl::string_view name;  // "the EDR sensor proxy (TelemetryProxyServer)"
  bool set = false;
  std::string endpoint;  // "" for a PAC file (not comparable)
  std::string shown;     // as the operator would recognise it
};

std::string Describe(const SeenProxy& p) {
  return absl::StrCat(p.name, " is ", p.shown);
}

}  // namespace

absl::StatusOr<HostPort> ParseSchemeProxy(absl::string_view text) {
  const absl::string_view scheme = HttpScheme(text);
  if (scheme.empty()) {
    return BadProxy(absl::StrCat(
        "\"", text,
        "\" must start with http:// or https:// (Defender Antivirus requires "
        "the scheme), e.g. http://10.0.0.6:8080"));
  }
  absl::string_view rest = text.substr(scheme.size());
  absl::ConsumeSuffix(&rest, "/");
  if (rest.find_first_of("/?#@") != absl::string_view::npos) {
    return BadProxy(
        absl::StrCat("\"", text,
                     "\": expected only scheme, host and port, e.g. "
                     "http://10.0.0.6:8080"));
  }
  return ParseHostPort(rest);
}

std::string ProxyEndpoint(absl::string_view proxy) {
  std::vector<absl::string_view> entries =
      absl::StrSplit(proxy, absl::ByAnyChar("; "), absl::SkipEmpty());
  absl::string_view chosen = entries.empty() ? proxy : entries.front();
  for (absl::string_view e : entries) {
    if (absl::StartsWithIgnoreCase(e, "https=")) chosen = e.substr(6);
  }
  if (const size_t eq = chosen.find('='); eq != absl::string_view::npos) {
    chosen = chosen.substr(eq + 1);
  }
  chosen = chosen.substr(HttpScheme(chosen).size());
  absl::ConsumeSuffix(&chosen, "/");
  auto hp = ParseHostPort(chosen);
  return hp.ok() ? Endpoint(*hp) : absl::AsciiStrToLower(chosen);
}

absl::Status ValidateProxyConfig(const v1::ProxyConfig& c) {
  if (!v1::WinHttpProxyChange_IsValid(c.winhttp())) {
    return Invalid("winhttp", absl::StrCat("unknown value ", c.winhttp(),
                                           "; expected LEAVE, SET or RESET"));
  }
  if (c.clear()) return ValidateClear(c);
  if (!HasAnySetting(c)) {
    return absl::InvalidArgumentError(
        "parameters.proxy: nothing to configure; set edr_proxy, av_proxy, "
        "av_proxy_pac_url, av_proxy_bypass, prefer_static_proxy, "
        "ssl_options or winhttp, or clear");
  }
  if (!c.edr_proxy().empty()) {
    RETURN_IF_ERROR(
        InField("edr_proxy", ParseHostPort(c.edr_proxy()).status()));
  }
  if (!c.av_proxy().empty()) {
    RETURN_IF_ERROR(
        InField("av_proxy", ParseSchemeProxy(c.av_proxy()).status()));
  }
  if (!c.av_proxy_pac_url().empty()) {
    RETURN_IF_ERROR(
        InField("av_proxy_pac_url", CheckPacUrl(c.av_proxy_pac_url())));
  }
  if (!c.av_proxy_bypass().empty()) {
    RETURN_IF_ERROR(
        InField("av_proxy_bypass", CheckBypassList(c.av_proxy_bypass())));
  }
  if (c.has_ssl_options() && c.ssl_options() > 2) {
    return Invalid("ssl_options",
                   absl::StrCat(c.ssl_options(),
                                " is not 0, 1 or 2 (2 turns off the CRL "
                                "check, discouraged)"));
  }
  if (c.winhttp() != v1::WINHTTP_PROXY_SET) {
    if (!c.winhttp_proxy().empty()) {
      return Invalid("winhttp_proxy", "only used with winhttp SET");
    }
    if (!c.winhttp_bypass().empty()) {
      return Invalid("winhttp_bypass", "only used with winhttp SET");
    }
    return absl::OkStatus();
  }
  if (c.winhttp_proxy().empty() && c.edr_proxy().empty()) {
    return Invalid("winhttp_proxy",
                   "required for winhttp SET when edr_proxy is not given "
                   "(host:port)");
  }
  if (!c.winhttp_proxy().empty()) {
    RETURN_IF_ERROR(
        InField("winhttp_proxy", ParseHostPort(c.winhttp_proxy()).status()));
  }
  if (!c.winhttp_bypass().empty()) {
    RETURN_IF_ERROR(
        InField("winhttp_bypass", CheckBypassList(c.winhttp_bypass())));
  }
  return absl::OkStatus();
}

std::vector<std::string> ProxyConfigWarnings(const v1::ProxyConfig& c) {
  std::vector<std::string> out;
  if (c.has_ssl_options() && c.ssl_options() == 2) {
    out.push_back(
        "parameters.proxy.ssl_options: 2 turns off the certificate "
        "revocation (CRL) check of cloud protection; Microsoft discourages "
        "it: prefer 0 or 1 and let the proxy reach the CRL");
  }
  return out;
}

std::string WinHttpProxyOf(const v1::ProxyConfig& c) {
  return c.winhttp_proxy().empty() ? c.edr_proxy() : c.winhttp_proxy();
}

v1::ProxySettings ApplyProxyConfig(const v1::ProxySettings& before,
                                   const v1::ProxyConfig& c) {
  v1::ProxySettings s = before;
  if (c.clear()) {
    s.clear_edr_proxy();
    s.clear_disable_enterprise_auth_proxy();
    s.clear_prefer_static_proxy();
    s.clear_av_proxy();
    s.clear_av_proxy_pac_url();
    s.clear_av_proxy_bypass();
    s.clear_ssl_options();
  } else {
    if (!c.edr_proxy().empty()) {
      s.set_edr_proxy(c.edr_proxy());
      s.set_disable_enterprise_auth_proxy(true);
    }
    if (c.prefer_static_proxy()) s.set_prefer_static_proxy(true);
    if (!c.av_proxy().empty()) s.set_av_proxy(c.av_proxy());
    if (!c.av_proxy_pac_url().empty()) {
      s.set_av_proxy_pac_url(c.av_proxy_pac_url());
    }
    if (!c.av_proxy_bypass().empty()) {
      s.set_av_proxy_bypass(c.av_proxy_bypass());
    }
    if (c.has_ssl_options()) s.set_ssl_options(c.ssl_options());
  }
  if (c.winhttp() == v1::WINHTTP_PROXY_SET) {
    s.set_winhttp_proxy(WinHttpProxyOf(c));
    s.set_winhttp_bypass(c.winhttp_bypass());
  } else if (c.winhttp() == v1::WINHTTP_PROXY_RESET) {
    s.clear_winhttp_proxy();
    s.clear_winhttp_bypass();
  }
  return s;
}

std::vector<std::string> ProxyDisagreements(const v1::ProxySettings& s) {
  SeenProxy edr{"the EDR sensor proxy (TelemetryProxyServer)", false, "", ""};
  if (!s.edr_proxy().empty()) {
    edr.set = true;
    edr.endpoint = ProxyEndpoint(s.edr_proxy());
    edr.shown = s.edr_proxy();
  }
  SeenProxy av{"the Defender Antivirus proxy (ProxyServer)", false, "", ""};
  if (!s.av_proxy().empty()) {
    av.set = true;
    av.endpoint = ProxyEndpoint(s.av_proxy());
    av.shown = s.av_proxy();
  } else if (!s.av_proxy_pac_url().empty()) {
    av.set = true;
    av.name = "the Defender Antivirus proxy (ProxyPacUrl)";
    av.shown = absl::StrCat("the PAC file ", s.av_proxy_pac_url());
  }
  SeenProxy winhttp{"the system WinHTTP proxy", false, "", ""};
  if (!s.winhttp_proxy().empty()) {
    winhttp.set = true;
    winhttp.endpoint = ProxyEndpoint(s.winhttp_proxy());
    winhttp.shown = s.winhttp_proxy();
  }
  std::vector<std::string> out;
  const SeenProxy* all[] = {&edr, &av, &winhttp};
  std::vector<std::string> set_descriptions;
  for (const SeenProxy* p : all) {
    if (p->set) set_descriptions.push_back(Describe(*p));
  }
  if (set_descriptions.empty()) return out;
  const std::string others = absl::StrJoin(set_descriptions, " and ");
  if (!edr.set) {
    out.push_back(absl::StrCat(
        "EDR sensor proxy (TelemetryProxyServer) not set",
        winhttp.set ? ": the sensor falls back to the system WinHTTP proxy"
                    : ": the sensor connects directly",
        ", while ", others, " (configure_proxy --edr-proxy)"));
  }
  if (!av.set) {
    out.push_back(absl::StrCat(
        "Defender Antivirus proxy (ProxyServer) not set: cloud protection "
        "connects directly, while ",
        others, " (configure_proxy --av-proxy)"));
  }
  if (!winhttp.set) {
    out.push_back(absl::StrCat(
        "system WinHTTP proxy not set (direct access): certificate "
        "revocation checks and other WinHTTP clients connect directly, "
        "while ",
        others, " (configure_proxy --winhttp set)"));
  }
  for (size_t i = 0; i < 3; ++i) {
    for (size_t j = i + 1; j < 3; ++j) {
      const SeenProxy& a = *all[i];
      const SeenProxy& b = *all[j];
      if (a.set && b.set && !a.endpoint.empty() && !b.endpoint.empty() &&
          a.endpoint != b.endpoint) {
        out.push_back(absl::StrCat("proxies disagree: ", Describe(a), " but ",
                                   Describe(b)));
      }
    }
  }
  return out;
}

}  // namespace mdefleet

#include "server/cli/proxy_flags.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {

void AddProxyFlags(CLI::App* submit, ProxyFlags* f) {
  submit->add_option("--edr-proxy", f->edr_proxy,
                     "configure_proxy: EDR sensor static proxy host:port "
                     "(TelemetryProxyServer)");
  submit->add_option("--av-proxy", f->av_proxy,
                     "configure_proxy: Defender Antivirus proxy "
                     "http://host:port (ProxyServer)");
  submit->add_option("--av-proxy-pac-url", f->av_proxy_pac_url,
                     "configure_proxy: Defender Antivirus PAC file URL");
  submit->add_option("--av-proxy-bypass", f->av_proxy_bypass,
                     "configure_proxy: Defender Antivirus bypass list "
                     "(host1;host2)");
  submit->add_flag("--prefer-static-proxy", f->prefer_static_proxy,
                   "configure_proxy: PreferStaticProxyForHttpRequest=1 "
                   "(fully offline devices)");
  submit->add_option("--ssl-options", f->ssl_options,
                     "configure_proxy: Spynet SSLOptions 0, 1 or 2 "
                     "(2: no CRL check, discouraged)");
  submit->add_option("--winhttp", f->winhttp,
                     "configure_proxy: system WinHTTP proxy: set (netsh "
                     "winhttp set proxy) or reset (direct access)");
  submit->add_option("--winhttp-proxy", f->winhttp_proxy,
                     "configure_proxy: host:port for --winhttp set "
                     "(default: --edr-proxy)");
  submit->add_option("--winhttp-bypass", f->winhttp_bypass,
                     "configure_proxy: bypass list for --winhttp set "
                     "(\"<local>;*.corp\")");
  submit->add_flag("--clear-proxy", f->clear,
                   "configure_proxy: remove every proxy value it manages "
                   "(with --winhttp reset also the system proxy)");
}

absl::StatusOr<std::optional<v1::ProxyConfig>> BuildProxyConfig(
    const ProxyFlags& f) {
  v1::ProxyConfig c;
  c.set_clear(f.clear);
  c.set_edr_proxy(f.edr_proxy);
  c.set_prefer_static_proxy(f.prefer_static_proxy);
  c.set_av_proxy(f.av_proxy);
  c.set_av_proxy_pac_url(f.av_proxy_pac_url);
  c.set_av_proxy_bypass(f.av_proxy_bypass);
  c.set_winhttp_proxy(f.winhttp_proxy);
  c.set_winhttp_bypass(f.winhttp_bypass);
  if (!f.ssl_options.empty()) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(f.ssl_options, &n)) {
      return UsageError(absl::StrCat("--ssl-options \"", f.ssl_options,
                                     "\": expected 0, 1 or 2"));
    }
    c.set_ssl_options(n);
  }
  const std::string winhttp = absl::AsciiStrToLower(f.winhttp);
  if (winhttp == "set") {
    c.set_winhttp(v1::WINHTTP_PROXY_SET);
  } else if (winhttp == "reset") {
    c.set_winhttp(v1::WINHTTP_PROXY_RESET);
  } else if (!winhttp.empty()) {
    return UsageError(
        absl::StrCat("--winhttp \"", f.winhttp, "\": expected set or reset"));
  }
  if (c.ByteSizeLong() == 0) return std::nullopt;
  return c;
}

}  // namespace mdefleet::cli

#include "runner/executor/configured_proxy.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/proxy_config.h"

namespace mdefleet::runner {

absl::StatusOr<ConfiguredProxy> ResolveConfiguredProxy(Host& host,
                                                       absl::string_view url) {
  absl::StatusOr<std::optional<RegistryData>> edr = host.ReadValue(
      proxy::kDataCollectionKey, proxy::kTelemetryProxyServerValue);
  if (!edr.ok()) {
    return absl::Status(edr.status().code(),
                        absl::StrCat("cannot read the EDR static proxy (HKLM\\",
                                     proxy::kDataCollectionKey, "\\",
                                     proxy::kTelemetryProxyServerValue,
                                     "): ", edr.status().message()));
  }
  ConfiguredProxy out;
  if (*edr && std::holds_alternative<std::string>(**edr)) {
    const std::string value(
        absl::StripAsciiWhitespace(std::get<std::string>(**edr)));
    if (!value.empty()) {
      out.check_url_proxy = value;
      out.description =
          absl::StrCat("through proxy ", value, " (EDR static proxy, ",
                       proxy::kTelemetryProxyServerValue, ")");
      return out;
    }
  }
  absl::StatusOr<WinHttpProxy> winhttp = host.GetWinHttpProxy();
  if (!winhttp.ok()) return winhttp.status();
  if (!winhttp->proxy.empty()) {
    out.description =
        absl::StrCat("through the system WinHTTP proxy ", winhttp->proxy);
    return out;
  }
  // A PAC file that cannot be used leaves the sensor with direct access.
  absl::StatusOr<std::string> discovered = host.DiscoverProxy(url);
  if (discovered.ok() && !discovered->empty()) {
    out.check_url_proxy = *discovered;
    out.description = absl::StrCat("through proxy ", *discovered,
                                   " (found by WPAD auto-discovery)");
    return out;
  }
  out.description =
      discovered.ok()
          ? "with direct access (no EDR static proxy, system WinHTTP proxy "
            "or WPAD proxy)"
          : absl::StrCat(
                "with direct access (no EDR static proxy or system "
                "WinHTTP proxy; WPAD: ",
                discovered.status().message(), ")");
  return out;
}

}  // namespace mdefleet::runner

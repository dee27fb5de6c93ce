#include "runner/host/connectivity_messages.h"

#include "absl/strings/str_cat.h"

namespace mdefleet::runner {

std::string ProxyAuthenticationMessage(absl::string_view url,
                                       absl::string_view proxy) {
  return absl::StrCat(
      "cannot reach ", url, ": HTTP 407 Proxy Authentication Required from ",
      proxy,
      " - the sensor runs as LocalSystem and does not authenticate to "
      "proxies: allow the Defender URLs through this proxy without "
      "authentication");
}

std::string ProxyRefusedMessage(absl::string_view url,
                                absl::string_view proxy) {
  return absl::StrCat("cannot reach ", url, ": HTTP 403 Forbidden from ", proxy,
                      " - the proxy refuses this URL: allow the Defender URLs "
                      "on it");
}

std::string TlsInspectionMessage(absl::string_view url, absl::string_view root,
                                 absl::string_view via) {
  return absl::StrCat(
      "cannot reach ", url,
      ": TLS inspection - the certificate presented "
      "chains to \"",
      root,
      "\", not to a public root Microsoft's endpoints use, so something on "
      "the way (",
      via,
      ") decrypts the connection; Defender does not support that: exclude "
      "the Defender URLs from TLS inspection");
}

}  // namespace mdefleet::runner

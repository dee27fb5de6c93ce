// Whether a gRPC address stays on this machine. Plaintext gRPC is allowed
// only there: over a network the bearer tokens would travel in clear.
#ifndef MDEFLEET_COMMON_TLS_ADDRESS_H_
#define MDEFLEET_COMMON_TLS_ADDRESS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace mdefleet::tls {

// The canonical text of an IPv4 or IPv6 literal ("[...]" allowed), e.g.
// "::1" for "[0:0::1]"; nullopt when `text` is not one.
std::optional<std::string> CanonicalIp(absl::string_view text);

// True when `host` is a loopback name or address: "localhost", 127.0.0.0/8,
// ::1 (also as ::ffff:127.x.y.z).
bool IsLoopbackHost(absl::string_view host);

// The host of a gRPC address: "h:port" -> "h", "[v6]:port" -> "v6"; a
// "dns:///" or "dns://authority/" prefix is skipped. "" for ":port".
std::string HostOfAddress(absl::string_view address);

// True when `address` (a --listen or --server value) reaches only this
// machine: a loopback host (see IsLoopbackHost; every one of an
// "ipv4:"/"ipv6:" list), or a "unix:"/"unix-abstract:" socket. "0.0.0.0",
// "[::]", ":port" and every other name are not local.
bool IsLocalAddress(absl::string_view address);

}  // namespace mdefleet::tls

#endif  // MDEFLEET_COMMON_TLS_ADDRESS_H_

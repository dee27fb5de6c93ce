// "host:port" as operators write it: a proxy, the runner's server address, a
// listen address. One grammar, so a value one setting accepts is never
// refused by another.
#ifndef MDEFLEET_COMMON_HOST_PORT_H_
#define MDEFLEET_COMMON_HOST_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet {

// host is a DNS name (letters, digits, '-', '_' and '.'), an IPv4 address or
// a bracketed IPv6 address, kept as written ("[fd00::6]"); port 1-65535.
struct HostPort {
  std::string host;
  int port = 0;
};

// What a listen address may add to the grammar.
struct HostPortForm {
  bool empty_host_is_any = false;    // ":8080": every interface
  bool port_zero_picks_one = false;  // ":0": the system picks a free port
};

// The form of an address to listen on (serve --listen, --http-listen).
inline constexpr HostPortForm kListenAddressForm{.empty_host_is_any = true,
                                                 .port_zero_picks_one = true};

// Parses "host:port". InvalidArgument without a field name saying what is
// wrong (`"10.0.0.6" has no port; expected host:port (e.g. 10.0.0.6:8080)`):
// the caller prefixes the field.
[[nodiscard]] absl::StatusOr<HostPort> ParseHostPort(absl::string_view text,
                                                     HostPortForm form = {});

// A host alone: a DNS name or an IPv4 address (no brackets, no port).
[[nodiscard]] absl::Status CheckHost(absl::string_view host);

// The host without an IPv6 address's brackets ("fd00::6"), for socket APIs.
absl::string_view BareHost(const HostPort& host_port);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_HOST_PORT_H_

// An HTTP caller's address in the form gRPC names its peers, so PeerGuard
// (server/service/peer_guard.h) keys HTTP and gRPC calls from one address
// alike and they share one failed-authentication budget.
#ifndef MDEFLEET_SERVER_HTTP_HTTP_PEER_H_
#define MDEFLEET_SERVER_HTTP_HTTP_PEER_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mdefleet::http {

// "10.0.0.5", 51234 -> "ipv4:10.0.0.5:51234"; "fd00::1", 443 ->
// "ipv6:[fd00::1]:443" (IPv4-mapped addresses stay IPv6 here; PeerKey folds
// them to the IPv4 address).
std::string GrpcStylePeer(absl::string_view address, int port);

}  // namespace mdefleet::http

#endif  // MDEFLEET_SERVER_HTTP_HTTP_PEER_H_

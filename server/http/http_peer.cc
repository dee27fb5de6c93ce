#include "server/http/http_peer.h"

#include "absl/strings/str_cat.h"

namespace mdefleet::http {

std::string GrpcStylePeer(absl::string_view address, int port) {
  if (address.find(':') != absl::string_view::npos) {
    return absl::StrCat("ipv6:[", address, "]:", port);
  }
  return absl::StrCat("ipv4:", address, ":", port);
}

}  // namespace mdefleet::http

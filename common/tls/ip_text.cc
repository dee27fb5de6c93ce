#include "common/tls/ip_text.h"

// The platform's header, from common/tls/posix or common/tls/windows.
#include "inet.h"

namespace mdefleet::tls {

std::optional<IpBytes> ParseIp(const std::string& text) {
  IpBytes ip;
  if (inet_pton(AF_INET, text.c_str(), ip.bytes.data()) == 1) return ip;
  ip.v6 = true;
  if (inet_pton(AF_INET6, text.c_str(), ip.bytes.data()) == 1) return ip;
  return std::nullopt;
}

std::string FormatIp(const IpBytes& ip) {
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), out.data(),
                out.size()) == nullptr) {
    return std::string();
  }
  return std::string(out.data());
}

}  // namespace mdefleet::tls

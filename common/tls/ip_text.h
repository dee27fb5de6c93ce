// IP address text <-> bytes, with the platform's inet_pton/inet_ntop
// (posix/inet.h, windows/inet.h).
#ifndef MDEFLEET_COMMON_TLS_IP_TEXT_H_
#define MDEFLEET_COMMON_TLS_IP_TEXT_H_

#include <array>
#include <optional>
#include <string>

namespace mdefleet::tls {

struct IpBytes {
  bool v6 = false;
  // An IPv4 address uses the first 4 bytes.
  std::array<unsigned char, 16> bytes{};
};

// `text` as an IPv4 or IPv6 address (no brackets); nullopt if it is neither.
std::optional<IpBytes> ParseIp(const std::string& text);

// The canonical text of `ip` ("::1", "10.0.0.1").
std::string FormatIp(const IpBytes& ip);

}  // namespace mdefleet::tls

#endif  // MDEFLEET_COMMON_TLS_IP_TEXT_H_

#include "common/tls/address.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/tls/ip_text.h"

namespace mdefleet::tls {
namespace {

absl::string_view StripBrackets(absl::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text.remove_prefix(1);
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::optional<std::string> CanonicalIp(absl::string_view text) {
  const std::optional<IpBytes> ip = ParseIp(std::string(StripBrackets(text)));
  if (!ip.has_value()) return std::nullopt;
  std::string canonical = FormatIp(*ip);
  if (canonical.empty()) return std::nullopt;
  return canonical;
}

bool IsLoopbackHost(absl::string_view host) {
  host = StripBrackets(host);
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  const std::optional<IpBytes> ip = ParseIp(std::string(host));
  if (!ip.has_value()) return false;
  const auto& bytes = ip->bytes;
  if (!ip->v6) return bytes[0] == 127;
  static constexpr std::array<unsigned char, 16> kLoopback = {
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static constexpr std::array<unsigned char, 12> kV4Mapped = {
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (bytes == kLoopback) return true;
  return std::equal(kV4Mapped.begin(), kV4Mapped.end(), bytes.begin()) &&
         bytes[12] == 127;
}

std::string HostOfAddress(absl::string_view address) {
  if (absl::ConsumePrefix(&address, "dns:")) {
    // dns:host:port, dns:///host:port or dns://authority/host:port.
    if (absl::ConsumePrefix(&address, "//")) {
      const size_t slash = address.find('/');
      address = slash == absl::string_view::npos ? absl::string_view()
                                                 : address.substr(slash + 1);
    }
  }
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos) return std::string(address);
    return std::string(address.substr(1, close - 1));
  }
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return std::string(address);
  if (address.find(':') != colon) {
    return std::string(address);  // a bare IPv6 address without a port
  }
  return std::string(address.substr(0, colon));
}

bool IsLocalAddress(absl::string_view address) {
  address = absl::StripAsciiWhitespace(address);
  if (absl::StartsWith(address, "unix:") ||
      absl::StartsWith(address, "unix-abstract:")) {
    return true;
  }
  if (absl::ConsumePrefix(&address, "ipv4:") ||
      absl::ConsumePrefix(&address, "ipv6:")) {
    if (address.empty()) return false;
    for (absl::string_view one : absl::StrSplit(address, ',')) {
      if (!IsLoopbackHost(HostOfAddress(one))) return false;
    }
    return true;
  }
  return IsLoopbackHost(HostOfAddress(address));
}

}  // namespace mdefleet::tls

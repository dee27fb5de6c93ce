#include "common/host_port.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace mdefleet {
namespace {

constexpr absl::string_view kHostPortExample = " (e.g. 10.0.0.6:8080)";

[[nodiscard]] absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

bool HasSpaceOrControlCharacter(absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool IsIpv4(absl::string_view host) {
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    int n = 0;
    if (p.empty() || p.size() > 3 || !absl::SimpleAtoi(p, &n) || n > 255) {
      return false;
    }
    for (char c : p) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    }
  }
  return true;
}

bool AllDigitsAndDots(absl::string_view host) {
  for (char c : host) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') {
      return false;
    }
  }
  return true;
}

// RFC 1123 host name: labels of letters, digits and '-', 1-63 characters,
// not starting or ending with '-'; 253 characters at most. '_' is allowed as
// well: Active Directory estates have such names and Windows resolves them.
bool IsHostName(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
          c != '_') {
        return false;
      }
    }
  }
  return true;
}

// Hex groups and colons ("fd00::6", "::ffff:10.0.0.6"); what inet_pton would
// take, loosely: at least two colons, at most one "::".
bool IsIpv6(absl::string_view text) {
  if (text.size() < 2 || text.size() > 45) return false;
  int colons = 0;
  for (char c : text) {
    if (c == ':') {
      ++colons;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) &&
               c != '.') {
      return false;
    }
  }
  if (colons < 2 || colons > 7) return false;
  const size_t first = text.find("::");
  if (first != absl::string_view::npos &&
      text.find("::", first + 1) != absl::string_view::npos) {
    return false;
  }
  for (absl::string_view group : absl::StrSplit(text, ':')) {
    if (group.size() > 4 && !absl::StrContains(group, '.')) return false;
  }
  return true;
}

[[nodiscard]] absl::StatusOr<int> ParsePort(absl::string_view text,
                                            bool zero_allowed) {
  int port = 0;
  bool digits = !text.empty() && text.size() <= 5;
  for (char c : text) {
    digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  }
  if (!digits || !absl::SimpleAtoi(text, &port) ||
      port < (zero_allowed ? 0 : 1) || port > 65535) {
    return Bad(absl::StrCat("port \"", text, "\" is not a number in ",
                            zero_allowed ? "0" : "1", "-65535"));
  }
  return port;
}

}  // namespace

absl::Status CheckHost(absl::string_view host) {
  if (host.empty()) return Bad("no host before the port");
  if (AllDigitsAndDots(host)) {
    if (!IsIpv4(host)) {
      return Bad(absl::StrCat("\"", host,
                              "\" is not an IPv4 address (four numbers "
                              "0-255)"));
    }
    return absl::OkStatus();
  }
  if (!IsHostName(host)) {
    return Bad(absl::StrCat("\"", host,
                            "\" is not a host name (letters, digits, '-', '_' "
                            "and '.'), an IPv4 address or a bracketed IPv6 "
                            "address"));
  }
  return absl::OkStatus();
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text,
                                       HostPortForm form) {
  if (text.empty()) {
    return Bad(absl::StrCat("empty; expected host:port", kHostPortExample));
  }
  if (text.size() > 260) return Bad("longer than 260 characters");
  if (HasSpaceOrControlCharacter(text)) {
    return Bad(absl::StrCat("\"", text,
                            "\" contains a space or a control character; "
                            "expected host:port",
                            kHostPortExample));
  }
  if (absl::StrContains(text, "://")) {
    return Bad(absl::StrCat("\"", text,
                            "\" has a scheme; expected host:port without "
                            "http://",
                            kHostPortExample));
  }
  HostPort out;
  absl::string_view port;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return Bad(absl::StrCat("\"", text, "\" has no closing ']'"));
    }
    const absl::string_view v6 = text.substr(1, close - 1);
    if (!IsIpv6(v6)) {
      return Bad(absl::StrCat("\"", v6, "\" is not an IPv6 address"));
    }
    absl::string_view after = text.substr(close + 1);
    if (!absl::ConsumePrefix(&after, ":")) {
      return Bad(absl::StrCat("\"", text,
                              "\" has no port after ']'; expected "
                              "[address]:port (e.g. "
                              "[fd00::6]:8080)"));
    }
    out.host = std::string(text.substr(0, close + 1));
    port = after;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return Bad(absl::StrCat("\"", text, "\" has no port; expected host:port",
                              kHostPortExample));
    }
    const absl::string_view host = text.substr(0, colon);
    if (absl::StrContains(host, ':')) {
      return Bad(absl::StrCat("\"", text,
                              "\": write an IPv6 address in brackets, e.g. "
                              "[fd00::6]:8080"));
    }
    if (!(host.empty() && form.empty_host_is_any)) {
      if (absl::Status s = CheckHost(host); !s.ok()) return s;
    }
    out.host = std::string(host);
    port = text.substr(colon + 1);
  }
  ASSIGN_OR_RETURN(out.port, ParsePort(port, form.port_zero_picks_one));
  return out;
}

absl::string_view BareHost(const HostPort& host_port) {
  absl::string_view host = host_port.host;
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  return host;
}

}  // namespace mdefleet

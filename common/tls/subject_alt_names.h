// Subject alternative names of the server certificate: what `init --san`
// accepts, and how an entry is classified (IP literal or DNS name).
#ifndef MDEFLEET_COMMON_TLS_SUBJECT_ALT_NAMES_H_
#define MDEFLEET_COMMON_TLS_SUBJECT_ALT_NAMES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::tls {

struct SubjectAltName {
  enum class Type { kDns, kIp };
  Type type = Type::kDns;
  std::string value;  // a DNS name (lower case) or an IP in canonical text

  friend bool operator==(const SubjectAltName&,
                         const SubjectAltName&) = default;
};

// An IPv4 or IPv6 literal (brackets allowed: "[fd00::10]") becomes an IP
// entry, anything else must be a DNS name (letters, digits, '-', dots; an
// optional leading "*." wildcard; at most 253 characters). InvalidArgument
// "<what> \"...\": ..." otherwise.
[[nodiscard]] absl::StatusOr<SubjectAltName> ParseSubjectAltName(
    absl::string_view text, absl::string_view what);

// The names every server certificate carries so that clients on the server
// machine can connect by any local name: localhost, 127.0.0.1, ::1 and
// `hostname` (skipped when empty or not a DNS name), then `extra`, without
// duplicates.
std::vector<SubjectAltName> ServerNames(
    absl::string_view hostname, const std::vector<SubjectAltName>& extra);

}  // namespace mdefleet::tls

#endif  // MDEFLEET_COMMON_TLS_SUBJECT_ALT_NAMES_H_

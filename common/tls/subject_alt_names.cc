#include "common/tls/subject_alt_names.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/tls/address.h"

namespace mdefleet::tls {
namespace {

bool IsDnsLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

bool IsDnsName(absl::string_view name) {
  absl::ConsumePrefix(&name, "*.");
  if (name.empty() || name.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (!IsDnsLabel(label)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<SubjectAltName> ParseSubjectAltName(absl::string_view text,
                                                   absl::string_view what) {
  absl::string_view name = absl::StripAsciiWhitespace(text);
  if (std::optional<std::string> ip = CanonicalIp(name)) {
    return SubjectAltName{SubjectAltName::Type::kIp, *std::move(ip)};
  }
  if (!IsDnsName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " \"", text,
        "\": not an IP address or a DNS name (letters, digits, '-' and dots, "
        "e.g. mdefleet.corp.example or 10.0.0.5)"));
  }
  return SubjectAltName{SubjectAltName::Type::kDns,
                        absl::AsciiStrToLower(name)};
}

std::vector<SubjectAltName> ServerNames(
    absl::string_view hostname, const std::vector<SubjectAltName>& extra) {
  std::vector<SubjectAltName> names = {
      {SubjectAltName::Type::kDns, "localhost"},
      {SubjectAltName::Type::kIp, "127.0.0.1"},
      {SubjectAltName::Type::kIp, "::1"}};
  if (absl::StatusOr<SubjectAltName> host =
          ParseSubjectAltName(hostname, "hostname");
      host.ok() && !hostname.empty()) {
    names.push_back(*std::move(host));
  }
  names.insert(names.end(), extra.begin(), extra.end());
  std::vector<SubjectAltName> unique;
  for (SubjectAltName& name : names) {
    if (std::find(unique.begin(), unique.end(), name) == unique.end()) {
      unique.push_back(std::move(name));
    }
  }
  return unique;
}

}  // namespace mdefleet::tls

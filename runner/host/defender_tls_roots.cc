#include "runner/host/defender_tls_roots.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mdefleet::runner {

absl::StatusOr<std::string> NormalizeThumbprint(absl::string_view text) {
  std::string hex;
  for (char c : absl::StripAsciiWhitespace(text)) {
    if (c == ':' || c == ' ') continue;
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text.substr(0, 80),
                       "\" is not a SHA-1 thumbprint (40 hex digits)"));
    }
    hex.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 40) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text.substr(0, 80), "\" has ", hex.size(),
                     " hex digits; a SHA-1 thumbprint has 40"));
  }
  return hex;
}

absl::StatusOr<std::vector<std::string>> ParseThumbprintList(
    absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view item :
       absl::StrSplit(text, absl::ByAnyChar(",;"), absl::SkipWhitespace())) {
    absl::StatusOr<std::string> one = NormalizeThumbprint(item);
    if (!one.ok()) return one.status();
    out.push_back(*std::move(one));
  }
  return out;
}

bool IsDefenderPublicRoot(absl::string_view sha1,
                          absl::Span<const std::string> extra) {
  for (const PublicRoot& root : kDefenderPublicRoots) {
    if (root.sha1 == sha1) return true;
  }
  for (const std::string& root : extra) {
    if (root == sha1) return true;
  }
  return false;
}

}  // namespace mdefleet::runner

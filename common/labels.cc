#include "common/labels.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "common/inert_text.h"

namespace mdefleet {
namespace {

bool IsKeyCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '.' || c == '-';
}

bool IsValueCharacter(char c) { return c != '=' && c != ','; }

}  // namespace

absl::Status CheckLabelKey(absl::string_view key) {
  if (key.empty() || key.size() > kMaxLabelKeyLength ||
      !std::all_of(key.begin(), key.end(), IsKeyCharacter)) {
    // The key is not quoted back whole: it may be long or unprintable.
    return absl::InvalidArgumentError(
        absl::StrCat("a label key must be 1-", kMaxLabelKeyLength,
                     " characters of letters, digits, '_', '.', '-' (got ",
                     key.size(), " characters)"));
  }
  return absl::OkStatus();
}

absl::Status CheckLabelValue(absl::string_view key, absl::string_view value) {
  // Printable: valid UTF-8 without controls (C0, DEL, C1), line separators
  // or bidirectional formatting characters (common/inert_text.h).
  if (value.empty() || value.size() > kMaxLabelValueLength ||
      !std::all_of(value.begin(), value.end(), IsValueCharacter) ||
      FirstRefusedCharacter(value, /*allow_line_breaks=*/false).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "label ", key, " needs a value of 1-", kMaxLabelValueLength,
        " printable characters without '=' or ',' (got ", value.size(),
        " characters)"));
  }
  return absl::OkStatus();
}

}  // namespace mdefleet

#include "common/labels.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/inert_text.h"

namespace mdefleet {
namespace {

bool IsKeyCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '.' || c == '-';
}

bool IsValueCharacter(char c) { return c != '=' && c != ','; }

[[nodiscard]] absl::Status InLabelField(absl::string_view field,
                                        const absl::Status& status) {
  if (status.ok() || field.empty()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(field, ": ", status.message()));
}

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

absl::StatusOr<Label> ParseLabel(absl::string_view text,
                                 absl::string_view field) {
  const size_t eq = text.find('=');
  if (eq == absl::string_view::npos) {
    // Quoted back only when printable and short: it may come from a policy
    // value or a request, and ends up in logs and terminals.
    const bool quotable =
        text.size() <= kMaxLabelKeyLength + kMaxLabelValueLength + 1 &&
        !FirstRefusedCharacter(text, false).has_value();
    return InLabelField(
        field, absl::InvalidArgumentError(absl::StrCat(
                   "expected key=value, got ",
                   quotable ? absl::StrCat("\"", text, "\"")
                            : absl::StrCat(text.size(), " characters"))));
  }
  Label label{std::string(absl::StripAsciiWhitespace(text.substr(0, eq))),
              std::string(absl::StripAsciiWhitespace(text.substr(eq + 1)))};
  if (absl::Status s = CheckLabelKey(label.key); !s.ok()) {
    return InLabelField(field, s);
  }
  if (absl::Status s = CheckLabelValue(label.key, label.value); !s.ok()) {
    return InLabelField(field, s);
  }
  return label;
}

absl::StatusOr<std::map<std::string, std::string>> ParseLabelList(
    absl::string_view text, absl::string_view field) {
  std::map<std::string, std::string> labels;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;
    absl::StatusOr<Label> label = ParseLabel(item, field);
    if (!label.ok()) return label.status();
    if (!labels.emplace(label->key, label->value).second) {
      return InLabelField(field, absl::InvalidArgumentError(absl::StrCat(
                                     "label ", label->key, " is given twice")));
    }
  }
  return labels;
}

}  // namespace mdefleet

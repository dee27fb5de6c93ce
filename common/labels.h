// Device labels (site=..., ou=..., role=...): one rule for the runner's
// configuration, the facts the server accepts and enrollment secret scopes,
// so a label one side accepts is never refused by the other.
#ifndef MDEFLEET_COMMON_LABELS_H_
#define MDEFLEET_COMMON_LABELS_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mdefleet {

inline constexpr size_t kMaxLabels = 32;
inline constexpr size_t kMaxLabelKeyLength = 63;
inline constexpr size_t kMaxLabelValueLength = 128;

// 1-63 characters of letters, digits, '_', '.', '-'.
[[nodiscard]] absl::Status CheckLabelKey(absl::string_view key);
// 1-128 bytes of printable UTF-8 (no C0/C1 controls, DEL, U+2028/U+2029 or
// bidirectional formatting characters) without '=' or ','.
[[nodiscard]] absl::Status CheckLabelValue(absl::string_view key,
                                           absl::string_view value);

struct Label {
  std::string key;
  std::string value;
};

// One "key=value" as people type it (a CLI flag, a device filter, a target):
// spaces around the key and the value are dropped, then both are checked as
// above. Errors start with "<field>: " when `field` is not empty:
// "--label: expected key=value, got \"site\"".
[[nodiscard]] absl::StatusOr<Label> ParseLabel(absl::string_view text,
                                               absl::string_view field);

// A comma-separated list of them ("site=tokyo, role=web"); empty items are
// skipped and a key given twice is refused.
[[nodiscard]] absl::StatusOr<std::map<std::string, std::string>> ParseLabelList(
    absl::string_view text, absl::string_view field);

// Every entry of a label map (std::map or google::protobuf::Map), with
// errors naming `field` ("facts.labels: ...", "facts.labels[site]: ...").
template <typename LabelMap>
[[nodiscard]] absl::Status CheckLabels(const LabelMap& labels,
                                       absl::string_view field) {
  if (labels.size() > kMaxLabels) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", labels.size(), " labels, at most ", kMaxLabels));
  }
  for (const auto& [key, value] : labels) {
    absl::Status status = CheckLabelKey(key);
    if (status.ok()) status = CheckLabelValue(key, value);
    if (!status.ok()) {
      // Keys that fail the check are not quoted into the field path.
      const bool key_ok = CheckLabelKey(key).ok();
      return absl::InvalidArgumentError(
          absl::StrCat(field, key_ok ? absl::StrCat("[", key, "]") : "", ": ",
                       status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_LABELS_H_

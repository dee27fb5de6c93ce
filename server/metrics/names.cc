#include "server/metrics/names.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mdefleet::metrics {
namespace {

bool IsNameChar(char c, bool first, bool colon) {
  if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') {
    return true;
  }
  if (colon && c == ':') return true;
  return !first && absl::ascii_isdigit(static_cast<unsigned char>(c));
}

bool IsName(absl::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon)) return false;
  }
  return true;
}

}  // namespace

bool IsValidMetricName(absl::string_view name) { return IsName(name, true); }

bool IsValidLabelName(absl::string_view name) {
  return IsName(name, false) && !absl::StartsWith(name, "__");
}

absl::Status CheckNames(absl::string_view metric,
                        const std::vector<std::string>& labels,
                        bool histogram) {
  if (!IsValidMetricName(metric)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric name \"", metric, "\" is not valid"));
  }
  std::set<std::string> seen;
  for (const std::string& label : labels) {
    if (!IsValidLabelName(label)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric ", metric, ": label name \"", label, "\" is not valid"));
    }
    if (histogram && label == "le") {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric ", metric, ": a histogram cannot have a label \"le\""));
    }
    if (!seen.insert(label).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", metric, ": label \"", label, "\" repeats"));
    }
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::metrics

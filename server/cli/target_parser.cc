#include "server/cli/target_parser.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/labels.h"
#include "common/os_family.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {
namespace {

constexpr absl::string_view kForms =
    "expected all, id:<device-id>, host:<glob>, label:<key>=<value> or "
    "os:<family>";

[[nodiscard]] absl::Status Bad(absl::string_view value, absl::string_view why) {
  return UsageError(absl::StrCat("--target \"", value, "\": ", why));
}

}  // namespace

absl::StatusOr<v1::TargetSelector> ParseTargets(
    const std::vector<std::string>& targets) {
  if (targets.empty()) {
    return UsageError(absl::StrCat("--target is required (", kForms,
                                   "; repeat it to combine criteria)"));
  }
  v1::TargetSelector selector;
  for (const std::string& raw : targets) {
    const absl::string_view value = absl::StripAsciiWhitespace(raw);
    if (absl::AsciiStrToLower(value) == "all") {
      selector.set_all(true);
      continue;
    }
    const size_t colon = value.find(':');
    if (colon == absl::string_view::npos) return Bad(raw, kForms);
    const std::string kind = absl::AsciiStrToLower(value.substr(0, colon));
    const absl::string_view arg = value.substr(colon + 1);
    if (arg.empty()) {
      return Bad(raw, absl::StrCat("nothing after \"", kind, ":\"; ", kForms));
    }
    if (kind == "id") {
      if (std::find(selector.device_ids().begin(), selector.device_ids().end(),
                    arg) == selector.device_ids().end()) {
        selector.add_device_ids(std::string(arg));
      }
    } else if (kind == "host") {
      if (!selector.hostname_glob().empty() &&
          selector.hostname_glob() != arg) {
        return Bad(raw,
                   absl::StrCat("only one host: glob may be given (already "
                                "host:",
                                selector.hostname_glob(), ")"));
      }
      selector.set_hostname_glob(std::string(arg));
    } else if (kind == "label") {
      absl::StatusOr<Label> label = ParseLabel(arg, "");
      if (!label.ok()) {
        return Bad(raw, absl::StrCat("label:<key>=<value>: ",
                                     label.status().message()));
      }
      const std::string& key = label->key;
      const std::string& val = label->value;
      auto& labels = *selector.mutable_labels();
      auto it = labels.find(key);
      if (it != labels.end() && it->second != val) {
        return Bad(raw,
                   absl::StrCat("label \"", key, "\" already required to be \"",
                                it->second, "\"; a device cannot match both"));
      }
      labels[key] = val;
    } else if (kind == "os") {
      auto family = ParseOsFamily(arg);
      if (!family.ok() || *family == v1::OS_FAMILY_UNSPECIFIED) {
        return Bad(raw, absl::StrCat("unknown OS family \"", arg,
                                     "\"; expected one of 2012r2, 2016, 2019, "
                                     "2022, 2025"));
      }
      if (std::find(selector.os_families().begin(),
                    selector.os_families().end(),
                    *family) == selector.os_families().end()) {
        selector.add_os_families(*family);
      }
    } else {
      return Bad(raw, absl::StrCat("unknown kind \"", kind, ":\"; ", kForms));
    }
  }
  return selector;
}

std::string DescribeTarget(const v1::TargetSelector& target) {
  std::vector<std::string> parts;
  if (target.all()) parts.push_back("all");
  if (target.device_ids_size() > 0) {
    parts.push_back(
        absl::StrCat("id:", absl::StrJoin(target.device_ids(), "|")));
  }
  if (!target.hostname_glob().empty()) {
    parts.push_back(absl::StrCat("host:", target.hostname_glob()));
  }
  // Sorted so the description is stable.
  std::map<std::string, std::string> labels(target.labels().begin(),
                                            target.labels().end());
  for (const auto& [key, value] : labels) {
    parts.push_back(absl::StrCat("label:", key, "=", value));
  }
  if (target.os_families_size() > 0) {
    std::vector<std::string> names;
    for (int f : target.os_families()) {
      names.push_back(OsFamilyName(static_cast<v1::OsFamily>(f)));
    }
    parts.push_back(absl::StrCat("os:", absl::StrJoin(names, "|")));
  }
  if (parts.empty()) return "(nothing)";
  return absl::StrJoin(parts, " AND ");
}

}  // namespace mdefleet::cli

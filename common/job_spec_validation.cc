#include "common/job_spec_validation.h"

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api_offboard.h"
#include "common/plan/plan.h"
#include "common/proxy_config.h"
#include "common/rollout_policy.h"
#include "common/status_macros.h"

namespace mdefleet {
namespace {

constexpr uint32_t kMaxInFlightLimit = 100000;

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool IsKnownKind(absl::string_view kind) {
  for (const std::string& k : KnownJobKinds()) {
    if (k == kind) return true;
  }
  return false;
}

[[nodiscard]] absl::Status Invalid(absl::string_view field,
                                   absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// An artifact id parameter: `required` for this kind (with the CLI flag to
// name), forbidden when `used_by` does not include it.
[[nodiscard]] absl::Status CheckArtifactParam(
    absl::string_view field, absl::string_view id, bool required, bool used,
    absl::string_view kind, absl::string_view flag, absl::string_view used_by) {
  const std::string path = absl::StrCat("parameters.", field);
  if (id.empty()) {
    if (required) {
      return Invalid(path,
                     absl::StrCat("required for ", kind, " (", flag, ")"));
    }
    return absl::OkStatus();
  }
  if (!used) return Invalid(path, absl::StrCat("only used by ", used_by));
  if (!IsArtifactId(id)) {
    return Invalid(path, "not an artifact id (64 hex characters)");
  }
  return absl::OkStatus();
}

// configure_proxy's proxy settings, connectivity_test's URL list and
// collect_diagnostics' MDEClientAnalyzer.zip.
[[nodiscard]] absl::Status ValidateProxyAndUrlList(absl::string_view kind,
                                                   const v1::JobParameters& p) {
  if (kind == "configure_proxy") {
    if (!p.has_proxy()) {
      return Invalid("parameters.proxy",
                     "required for configure_proxy (--edr-proxy, --av-proxy, "
                     "--winhttp, ... or --clear-proxy)");
    }
    RETURN_IF_ERROR(ValidateProxyConfig(p.proxy()));
  } else if (p.has_proxy()) {
    return Invalid("parameters.proxy", "only used by configure_proxy");
  }
  // Without a list, connectivity_test checks the built-in one.
  const bool tests_urls = kind == "connectivity_test";
  RETURN_IF_ERROR(CheckArtifactParam("url_list_id", p.url_list_id(), false,
                                     tests_urls, kind, "--url-list",
                                     "connectivity_test"));
  const bool diagnoses = kind == "collect_diagnostics";
  return CheckArtifactParam("client_analyzer_id", p.client_analyzer_id(),
                            diagnoses, diagnoses, kind, "--client-analyzer",
                            "collect_diagnostics");
}

[[nodiscard]] absl::Status ValidateParameters(absl::string_view kind,
                                              const v1::JobParameters& p) {
  const bool onboards = kind == "onboard" || kind == "migrate_mma";
  // connectivity_test reads only its geography (server side, like
  // MDEClientAnalyzer's -o); runners never get the script for it.
  RETURN_IF_ERROR(CheckArtifactParam(
      "onboarding_script_id", p.onboarding_script_id(), onboards,
      onboards || kind == "connectivity_test", kind, "--onboarding-script",
      "onboard, migrate_mma and connectivity_test"));
  const bool offboards = kind == "offboard";
  // image_prep needs it only for devices that are onboarded (the plan says
  // so per device).
  const bool may_offboard = offboards || kind == "image_prep";
  RETURN_IF_ERROR(CheckArtifactParam(
      "offboarding_script_id", p.offboarding_script_id(), offboards,
      may_offboard, kind, "--offboarding-script", "offboard and image_prep"));
  // Install.ps1 and md4ws.msi serve every kind on 2012 R2/2016; when empty
  // the server uses the newest uploaded ones.
  RETURN_IF_ERROR(CheckArtifactParam("install_script_id", p.install_script_id(),
                                     false, true, kind, "", ""));
  RETURN_IF_ERROR(CheckArtifactParam("installer_msi_id", p.installer_msi_id(),
                                     false, true, kind, "", ""));
  RETURN_IF_ERROR(ValidateOffboardComment(kind, p.comment()));
  const std::string& ws = p.workspace_id();
  if (kind == "migrate_mma") {
    if (ws.empty()) {
      return Invalid("parameters.workspace_id",
                     "required for migrate_mma (--workspace-id)");
    }
  } else if (!ws.empty()) {
    return Invalid("parameters.workspace_id", "only used by migrate_mma");
  }
  if (!ws.empty() && !IsGuid(ws)) {
    return Invalid("parameters.workspace_id",
                   absl::StrCat("malformed GUID \"", ws,
                                "\"; expected "
                                "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"));
  }
  return ValidateProxyAndUrlList(kind, p);
}

[[nodiscard]] absl::Status ValidateTarget(const v1::TargetSelector& t) {
  const bool has_criteria = !t.device_ids().empty() ||
                            !t.hostname_glob().empty() || !t.labels().empty() ||
                            !t.os_families().empty();
  if (!t.all() && !has_criteria) {
    return Invalid("target",
                   "empty selector; set all or at least one of device_ids, "
                   "hostname_glob, labels, os_families");
  }
  if (t.all() && has_criteria) {
    return Invalid("target.all", "cannot be combined with other criteria");
  }
  for (int i = 0; i < t.device_ids_size(); ++i) {
    if (absl::StripAsciiWhitespace(t.device_ids(i)).empty()) {
      return Invalid(absl::StrCat("target.device_ids[", i, "]"),
                     "empty device id");
    }
  }
  for (const auto& [key, value] : t.labels()) {
    if (absl::StripAsciiWhitespace(key).empty()) {
      return Invalid("target.labels",
                     absl::StrCat("empty label key (value \"", value,
                                  "\"); use key=value"));
    }
  }
  for (int i = 0; i < t.os_families_size(); ++i) {
    const int family = t.os_families(i);
    if (family == v1::OS_FAMILY_UNSPECIFIED || !v1::OsFamily_IsValid(family)) {
      return Invalid(
          absl::StrCat("target.os_families[", i, "]"),
          absl::StrCat(family == v1::OS_FAMILY_UNSPECIFIED
                           ? std::string("OS_FAMILY_UNSPECIFIED")
                           : absl::StrCat("value ", family),
                       " is not a release; use one of 2012r2, 2016, 2019, "
                       "2022, 2025"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateJobSpec(const v1::JobSpec& spec) {
  if (!IsKnownKind(spec.kind())) {
    return Invalid("kind", absl::StrCat("unknown job kind \"", spec.kind(),
                                        "\"; expected one of ",
                                        absl::StrJoin(KnownJobKinds(), ", ")));
  }
  RETURN_IF_ERROR(ValidateParameters(spec.kind(), spec.parameters()));
  RETURN_IF_ERROR(ValidateTarget(spec.target()));
  if (spec.policy().max_in_flight() > kMaxInFlightLimit) {
    return Invalid(
        "policy.max_in_flight",
        absl::StrCat("must be at most ", kMaxInFlightLimit, " (got ",
                     spec.policy().max_in_flight(), "); 0 means no limit"));
  }
  return ValidateRolloutPolicy(spec.policy());
}

bool IsGuid(absl::string_view text) {
  if (!text.empty() && text.front() == '{') {
    if (text.size() < 2 || text.back() != '}') return false;
    text = text.substr(1, text.size() - 2);
  }
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position) {
      if (text[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

bool IsArtifactId(absl::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool GlobMatches(absl::string_view pattern, absl::string_view text) {
  // Greedy matching with backtracking to the last '*': linear in practice,
  // O(pattern * text) at worst.
  size_t p = 0, t = 0;
  size_t star = absl::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' ||
         (pattern[p] != '*' &&
          absl::ascii_tolower(static_cast<unsigned char>(pattern[p])) ==
              absl::ascii_tolower(static_cast<unsigned char>(text[t]))))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace mdefleet

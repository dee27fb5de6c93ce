#include "server/store/planning.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/client_analyzer.h"
#include "common/defender_urls.h"
#include "common/mde_constants.h"
#include "common/status_macros.h"
#include "common/url_list.h"
#include "server/store/artifacts.h"
#include "server/store/settings.h"

namespace mdefleet::store {
namespace {

[[nodiscard]] absl::StatusOr<std::optional<ArtifactRef>> Ref(
    Connection& db, const std::string& id, absl::string_view field,
    absl::string_view fixed_name) {
  if (id.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<v1::Artifact> artifact, GetArtifact(db, id));
  if (!artifact) {
    return absl::NotFoundError(
        absl::StrCat("parameters.", field, ": no artifact ", id));
  }
  return ArtifactRef{
      id, fixed_name.empty() ? artifact->name() : std::string(fixed_name)};
}

// The URLs of URL list `id` (connectivity_test), parsed as at upload.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> UrlsOf(
    Connection& db, const std::string& id) {
  if (id.empty()) return std::vector<std::string>{};
  ASSIGN_OR_RETURN(std::optional<ArtifactLocation> where,
                   LocateArtifact(db, id));
  if (!where) {
    return absl::NotFoundError(
        absl::StrCat("parameters.url_list_id: no artifact ", id));
  }
  if (where->size > static_cast<int64_t>(kMaxUrlListBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parameters.url_list_id: artifact ", id, " is ", where->size,
        " bytes, too large for a URL list (at most ", kMaxUrlListBytes, ")"));
  }
  ASSIGN_OR_RETURN(std::string content,
                   ReadArtifactBytes(db, *where, 0, where->size));
  absl::StatusOr<std::vector<std::string>> urls = ParseUrlList(content);
  if (!urls.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameters.url_list_id: artifact ", id,
                     " is not a URL list: ", urls.status().message()));
  }
  return urls;
}

// Where onboarding script `id` sends the sensor (common/defender_urls.h).
[[nodiscard]] absl::StatusOr<std::optional<OnboardingGeography>> GeographyOf(
    Connection& db, const std::string& id) {
  if (id.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<ArtifactLocation> where,
                   LocateArtifact(db, id));
  if (!where) {
    return absl::NotFoundError(
        absl::StrCat("parameters.onboarding_script_id: no artifact ", id));
  }
  // Onboarding scripts are a few KiB; a larger artifact is not one, and
  // ReadOnboardingGeography would find nothing in it anyway.
  constexpr int64_t kMaxScan = 1 << 20;
  ASSIGN_OR_RETURN(std::string content,
                   ReadArtifactBytes(db, *where, 0,
                                     std::min<int64_t>(where->size, kMaxScan)));
  return ReadOnboardingGeography(content);
}

}  // namespace

absl::StatusOr<PlanInputs> PlanInputsForSpec(Connection& db,
                                             const v1::JobSpec& spec) {
  const v1::JobParameters& p = spec.parameters();
  PlanInputs inputs;
  inputs.kind = spec.kind();
  inputs.workspace_id = p.workspace_id();
  ASSIGN_OR_RETURN(inputs.mde_workspace_ids, GetMdeWorkspaceIds(db));
  ASSIGN_OR_RETURN(inputs.install_script,
                   Ref(db, p.install_script_id(), "install_script_id",
                       mde::kInstallScriptFileName));
  ASSIGN_OR_RETURN(inputs.installer_msi,
                   Ref(db, p.installer_msi_id(), "installer_msi_id",
                       mde::kInstallerMsiFileName));
  ASSIGN_OR_RETURN(inputs.onboarding_script,
                   Ref(db, p.onboarding_script_id(), "onboarding_script_id",
                       mde::kOnboardingScriptFileName));
  ASSIGN_OR_RETURN(inputs.offboarding_script, Ref(db, p.offboarding_script_id(),
                                                  "offboarding_script_id", ""));
  inputs.proxy = p.proxy();
  ASSIGN_OR_RETURN(inputs.urls, UrlsOf(db, p.url_list_id()));
  // Read only where a plan uses it: planning runs at every lease.
  if (spec.kind() == "onboard" || spec.kind() == "migrate_mma" ||
      (spec.kind() == "connectivity_test" && p.url_list_id().empty())) {
    ASSIGN_OR_RETURN(inputs.onboarding_geography,
                     GeographyOf(db, p.onboarding_script_id()));
  }
  ASSIGN_OR_RETURN(inputs.client_analyzer,
                   Ref(db, p.client_analyzer_id(), "client_analyzer_id",
                       client_analyzer::kZipFileName));
  ASSIGN_OR_RETURN(inputs.defender_confirm_timeout,
                   GetDefenderConfirmTimeout(db));
  return inputs;
}

}  // namespace mdefleet::store

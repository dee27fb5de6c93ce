#include "server/store/planning.h"

#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "common/status_macros.h"
#include "server/store/artifacts.h"

namespace mdefleet::store {
namespace {

absl::StatusOr<std::optional<ArtifactRef>> Ref(Connection& db,
                                               const std::string& id,
                                               absl::string_view field,
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

}  // namespace

absl::StatusOr<PlanInputs> PlanInputsForSpec(Connection& db,
                                             const v1::JobSpec& spec) {
  const v1::JobParameters& p = spec.parameters();
  PlanInputs inputs;
  inputs.kind = spec.kind();
  inputs.workspace_id = p.workspace_id();
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
  return inputs;
}

}  // namespace mdefleet::store

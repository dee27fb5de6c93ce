// migrate_mma: Install.ps1 -RemoveMMA <workspace> -OnboardingScript on
// 2012 R2/2016, for a workspace the device's MMA reports to.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/install_ps1.h"
#include "common/job_spec_validation.h"
#include "common/mde_constants.h"
#include "common/mde_workspaces.h"
#include "common/os_family.h"
#include "common/plan/kind_plans.h"
#include "common/status_macros.h"

namespace mdefleet::plan_internal {
namespace {

constexpr absl::string_view kNotOnModernServer =
    "migrate_mma uses Install.ps1 -RemoveMMA, which applies to 2012 R2/2016; "
    "on 2019+ onboard with the onboarding script and remove the workspace "
    "from MMA";

[[nodiscard]] absl::StatusOr<std::string> RequireWorkspace(
    const PlanContext& ctx) {
  const std::string& ws = ctx.inputs.workspace_id;
  if (ws.empty()) {
    return absl::InvalidArgumentError(
        "parameters.workspace_id: required for migrate_mma (--workspace-id): "
        "the MMA workspace GUID to remove");
  }
  if (!IsGuid(ws)) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameters.workspace_id: malformed GUID \"", ws,
                     "\"; expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"));
  }
  const std::string normalized = NormalizeWorkspaceId(ws);
  const std::vector<std::string>& mde_ids = ctx.inputs.mde_workspace_ids;
  if (!MightBeMdeWorkspace(normalized, mde_ids)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parameters.workspace_id: ", ws,
        " is not the tenant's Defender for Endpoint workspace (configured: ",
        absl::StrJoin(mde_ids, ", "),
        "); migrate_mma removes only that one: other workspaces (Log "
        "Analytics, Sentinel) keep the server's monitoring"));
  }
  return normalized;
}

// The workspace as the device spells it, if it reports it.
const std::string* FindReported(const PlanContext& ctx,
                                absl::string_view workspace) {
  for (const std::string& reported : ctx.facts.mma_workspaces()) {
    if (NormalizeWorkspaceId(reported) == workspace) return &reported;
  }
  return nullptr;
}

std::string NothingToMigrate(absl::string_view ws) {
  return absl::StrCat("MMA does not report to workspace ", ws,
                      " on this device: nothing to migrate");
}

}  // namespace

absl::StatusOr<v1::Plan> BuildMigrateMmaPlan(const PlanContext& ctx) {
  ASSIGN_OR_RETURN(const std::string normalized, RequireWorkspace(ctx));
  const std::string* reported = FindReported(ctx, normalized);
  const std::string ws = reported != nullptr ? *reported : normalized;
  const std::string key = MmaWorkspaceKey(ws);
  const std::string check_description =
      absl::StrCat("Check that MMA reports to workspace ", ws);
  v1::Plan plan;

  if (!UsesUnifiedAgentInstaller(ctx.family)) {
    if (!ctx.facts.mma_workspaces().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(ReleaseName(ctx.family), ": ", kNotOnModernServer));
    }
    // Nothing to migrate per the facts; the checks confirm it on the device
    // and stop with the reason if MMA turned out to report there after all.
    AddCheckKey(&plan, "precheck_mma_workspace_present", check_description, key,
                /*expect_present=*/true, v1::ON_MISMATCH_SKIP_TASK,
                NothingToMigrate(ws));
    AddCheckKey(
        &plan, "precheck_release_supported",
        "Stop: this release cannot migrate with Install.ps1", key,
        /*expect_present=*/false, v1::ON_MISMATCH_FAIL,
        absl::StrCat(ReleaseName(ctx.family), ": ", kNotOnModernServer));
    return plan;
  }

  // Install.ps1 -RemoveMMA of a workspace MMA does not report to exits
  // ERR_INVALID_PARAMETER before anything else: a device whose MMA reports
  // only other workspaces is refused here (the id may be a mistake). One
  // reporting none has nothing to migrate: its precheck skips it.
  if (reported == nullptr && !ctx.facts.mma_workspaces().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "MMA on this device does not report to workspace ", ws,
        " (it reports to ", absl::StrJoin(ctx.facts.mma_workspaces(), ", "),
        "): -RemoveMMA would fail; onboard it instead, or name the workspace "
        "it reports to if that is the tenant's MDE workspace"));
  }
  ASSIGN_OR_RETURN(ArtifactRef script, RequireOnboardingScript(ctx));
  if (ctx.inputs.mde_workspace_ids.empty()) {
    plan.add_warnings(absl::StrCat(
        "the tenant's Defender for Endpoint workspace is not configured "
        "(mdefleet-server serve --mde-workspace-id): make sure ",
        ws,
        " is it; removing another workspace cuts this server's monitoring"));
  }
  // The facts may be old: the device confirms before anything changes.
  AddCheckKey(&plan, "precheck_mma_workspace_present", check_description, key,
              /*expect_present=*/true, v1::ON_MISMATCH_SKIP_TASK,
              NothingToMigrate(ws));
  // Upstream removes the workspace before anything that needs the network,
  // then fails (4): check first, or the server ends up neither monitored
  // nor onboarded.
  const std::string check_url =
      ConnectivityCheckUrl(ctx.inputs.onboarding_geography);
  AddCheckUrl(&plan, "precheck_connectivity",
              "Check that the Defender for Endpoint service is reachable the "
              "way the sensor goes (EDR static proxy, else the WinHTTP "
              "proxy, else WPAD, else direct)",
              check_url,
              absl::StrCat("cannot reach ", check_url,
                           ": Install.ps1 -RemoveMMA would remove the "
                           "workspace and then fail, leaving the server "
                           "neither monitored nor onboarded; allow the device "
                           "to reach the Defender for Endpoint service "
                           "(proxy, firewall), then run migrate_mma again"));
  RETURN_IF_ERROR(AddFetchInstaller(ctx, &plan));
  AddFetchOnboardingScript(script, &plan);
  std::vector<std::string> switches = {
      "-RemoveMMA", ws, "-OnboardingScript",
      WorkPath(mde::kOnboardingScriptFileName)};
  AppendPassiveSwitch(ctx, &switches);
  v1::RunProcessAction* run =
      AddRunInstallPs1(&plan,
                       absl::StrCat("Remove workspace ", ws,
                                    " from MMA and onboard with Install.ps1"),
                       switches);
  // Upstream removes the workspace first, then refuses every MSI operation
  // on an onboarded device (35): for a server already onboarded with md4ws
  // that is the migration done. The verify steps below check both.
  run->add_success_exit_codes(0);
  run->add_success_exit_codes(install_ps1::kNotOffboarded);
  (*run->mutable_exit_code_meanings())[install_ps1::kNotOffboarded] =
      "already onboarded: Install.ps1 removed the workspace and installed "
      "nothing (the next steps check both)";
  AddVerifyOnboarded(&plan);
  AddCheckKey(
      &plan, "verify_workspace_removed",
      absl::StrCat("Check that MMA no longer reports to workspace ", ws), key,
      /*expect_present=*/false, v1::ON_MISMATCH_FAIL,
      absl::StrCat("MMA still reports to workspace ", ws,
                   " after Install.ps1 -RemoveMMA: remove it in the Microsoft "
                   "Monitoring Agent control panel (AgentConfigManager."
                   "MgmtSvcCfg) and run migrate_mma again"));
  return plan;
}

}  // namespace mdefleet::plan_internal

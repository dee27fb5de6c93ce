// onboard: prechecks, then Install.ps1 -OnboardingScript on 2012 R2/2016 or
// the onboarding script on 2019+, verified by Sense RUNNING and
// OnboardingState = 1.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api_offboard.h"
#include "common/job_spec_validation.h"
#include "common/mde_constants.h"
#include "common/mde_workspaces.h"
#include "common/os_family.h"
#include "common/plan/kind_plans.h"
#include "common/status_macros.h"

namespace mdefleet::plan_internal {
namespace {

// Each workspace the device reports becomes the name of a registry key to
// check, so it must be a GUID as MMA's AOI-<workspace> management groups are:
// the facts come from the device and are not trusted. Otherwise the precheck
// names a key the runner refuses to read, and the task fails saying so.
[[nodiscard]] absl::Status CheckReportedWorkspaces(const PlanContext& ctx) {
  for (const std::string& ws : ctx.facts.mma_workspaces()) {
    if (!IsGuid(ws)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the device reports MMA workspace \"", ws.substr(0, 64),
          "\", which is not a workspace GUID, so whether MMA reports to it "
          "cannot be checked; see the management groups under HKLM\\",
          mde::kMmaManagementGroupsKey, " on the device"));
    }
  }
  return absl::OkStatus();
}

// Prechecks every release gets, then the release-specific ones.
void AddOnboardPrechecks(const PlanContext& ctx, v1::Plan* plan) {
  AddCheckDword(plan, "precheck_not_onboarded",
                "Stop if the device is already onboarded (OnboardingState = 1)",
                mde::kAtpStatusKey, mde::kOnboardingStateValue,
                DwordExpect::kNotEquals, 1, v1::ON_MISMATCH_SKIP_TASK,
                "already onboarded (OnboardingState = 1): nothing to do");
  if (UsesUnifiedAgentInstaller(ctx.family)) {
    // On 2012 R2/2016 the tenant's MDE workspace, if MMA reports to it, must
    // be migrated with Install.ps1 -RemoveMMA, not onboarded beside
    // (article 001). Other workspaces keep the server's monitoring.
    const std::vector<std::string>& mde_ids = ctx.inputs.mde_workspace_ids;
    int n = 0;
    const ReportedWorkspaces reported =
        SplitReportedWorkspaces(ctx.facts, mde_ids);
    for (const std::string& ws : reported.mde) {
      ++n;
      AddCheckKey(
          plan,
          n == 1 ? std::string("precheck_mma_workspace")
                 : absl::StrCat("precheck_mma_workspace_", n),
          absl::StrCat("Stop if MMA reports to ",
                       mde_ids.empty() ? "workspace " : "the MDE workspace ",
                       ws),
          MmaWorkspaceKey(ws), /*expect_present=*/false, v1::ON_MISMATCH_FAIL,
          mde_ids.empty()
              ? absl::StrCat(
                    "MMA reports to workspace ", ws,
                    ", and the tenant's Defender for Endpoint workspace is "
                    "not configured: if this is it, run migrate_mma "
                    "--workspace-id ",
                    ws,
                    "; if it is another workspace (Log Analytics, "
                    "Sentinel), name the MDE one with mdefleet-server serve "
                    "--mde-workspace-id and only that one stops onboarding")
              : absl::StrCat("MMA reports to the tenant's Defender for "
                             "Endpoint workspace ",
                             ws, ": run migrate_mma --workspace-id ", ws));
    }
    if (!reported.others.empty()) {
      plan->add_warnings(absl::StrCat(
          "MMA also reports to ", absl::StrJoin(reported.others, ", "),
          ", not the tenant's MDE workspace: left as it is"));
    }
    return;
  }
  if (!ctx.facts.third_party_av().empty()) {
    AddCheckDword(
        plan, "precheck_passive_mode",
        "Check that Defender Antivirus is forced into passive mode",
        mde::kAtpPolicyKey, mde::kForcePassiveModeValue, DwordExpect::kEquals,
        1, v1::ON_MISMATCH_FAIL,
        absl::StrCat("third-party antivirus present (",
                     ctx.facts.third_party_av(),
                     "): run set_passive_mode before onboarding (sets ",
                     mde::kForcePassiveModeValue, " = 1 under HKLM\\",
                     mde::kAtpPolicyKey, ")"));
  }
  const std::string check_url =
      ConnectivityCheckUrl(ctx.inputs.onboarding_geography);
  AddCheckUrl(plan, "precheck_connectivity",
              "Check that the Defender for Endpoint service is reachable the "
              "way the sensor goes (EDR static proxy, else the WinHTTP "
              "proxy, else WPAD, else direct)",
              check_url,
              absl::StrCat("cannot reach ", check_url,
                           ": allow the device to reach the Defender for "
                           "Endpoint service (check the proxy settings and "
                           "the firewall), then run onboard again"));
}

// Article 001 has the administrator confirm the device in the portal, Active:
// local checks (Sense running, OnboardingState) do not show that the sensor
// reached the tenant. With the Defender API the server checks it itself.
void AddConfirmInDefender(const PlanContext& ctx, v1::Plan* plan) {
  const absl::Duration deadline = ctx.inputs.defender_confirm_timeout;
  if (deadline <= absl::ZeroDuration()) {
    AddSkip(plan, kConfirmInDefenderStep,
            "Confirm that Defender lists the device Active",
            absl::StrCat(
                "the server has no Defender API credentials, so it cannot "
                "confirm that the device appears Active in the Defender "
                "portal: check the portal's device inventory (article 001), "
                "or ",
                kApiOffboardHowToConfigure));
    return;
  }
  AddStep(
      plan, kConfirmInDefenderStep,
      absl::StrCat("server: GET /api/machines/{senseId} until healthStatus is "
                   "Active and lastSeen is newer than the onboarding, within ",
                   absl::FormatDuration(deadline),
                   " of the runner's steps; rate limited with api_offboard's "
                   "budget (100 calls/min, 1500/h)"),
      /*rerun_safe=*/true);
}

}  // namespace

absl::StatusOr<ArtifactRef> RequireOnboardingScript(const PlanContext& ctx) {
  return RequireArtifact(ctx.inputs.onboarding_script, "onboarding_script_id",
                         "the onboarding script", ctx.inputs.kind);
}

void AddFetchOnboardingScript(const ArtifactRef& script, v1::Plan* plan) {
  AddFetch(plan, "fetch_onboarding_script", "Download the onboarding script",
           script, mde::kOnboardingScriptFileName);
}

void AddVerifyOnboarded(v1::Plan* plan) {
  AddWaitService(
      plan, "verify_sense_running", "Wait for the Sense service to run",
      mde::kSenseService, v1::SERVICE_STATE_RUNNING,
      absl::StrCat("service ", mde::kSenseService,
                   " did not reach RUNNING "
                   "within ",
                   absl::ToInt64Seconds(kServiceWaitTimeout),
                   " s of onboarding; see the onboarding step's output and the "
                   "SENSE event log"));
  AddCheckDword(
      plan, "verify_onboarding_state", "Check OnboardingState = 1",
      mde::kAtpStatusKey, mde::kOnboardingStateValue, DwordExpect::kEquals, 1,
      v1::ON_MISMATCH_FAIL,
      absl::StrCat(mde::kOnboardingStateValue, " under HKLM\\",
                   mde::kAtpStatusKey,
                   " is not 1 after onboarding: check that the onboarding "
                   "script is the Group Policy one of this tenant, then see "
                   "the SENSE event log"));
}

absl::StatusOr<v1::Plan> BuildOnboardPlan(const PlanContext& ctx) {
  ASSIGN_OR_RETURN(ArtifactRef script, RequireOnboardingScript(ctx));
  if (UsesUnifiedAgentInstaller(ctx.family)) {
    RETURN_IF_ERROR(CheckReportedWorkspaces(ctx));
  }
  v1::Plan plan;
  AddOnboardPrechecks(ctx, &plan);
  if (UsesUnifiedAgentInstaller(ctx.family)) {
    RETURN_IF_ERROR(AddFetchInstaller(ctx, &plan));
    AddFetchOnboardingScript(script, &plan);
    std::vector<std::string> switches = {
        "-OnboardingScript", WorkPath(mde::kOnboardingScriptFileName)};
    AppendPassiveSwitch(ctx, &switches);
    AddRunInstallPs1(&plan,
                     "Install the unified agent and onboard with "
                     "Install.ps1 -OnboardingScript",
                     switches);
  } else {
    AddFetchOnboardingScript(script, &plan);
    AddRunCmdScript(&plan, "run_onboarding_script", "Run the onboarding script",
                    mde::kOnboardingScriptFileName, "onboarding script");
  }
  AddVerifyOnboarded(&plan);
  AddConfirmInDefender(ctx, &plan);
  return plan;
}

}  // namespace mdefleet::plan_internal

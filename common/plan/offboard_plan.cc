// offboard: Install.ps1 -Uninstall -OffboardingScript on 2012 R2/2016 (Sense
// removed), the offboarding script on 2019+ (Sense stopped, OnboardingState
// = 0). The script's expiry is checked when the job is submitted.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/artifact_validation.h"
#include "common/install_ps1.h"
#include "common/mde_constants.h"
#include "common/os_family.h"
#include "common/plan/kind_plans.h"
#include "common/status_macros.h"

namespace mdefleet::plan_internal {
namespace {

constexpr absl::string_view kDefaultOffboardingFileName =
    "WindowsDefenderATPOffboardingScript.cmd";

// The file name the script gets on the device: its uploaded name, which
// cmd.exe runs, so it must be one upload accepts today (an artifact stored
// by an older server with another name is refused, naming it).
[[nodiscard]] absl::StatusOr<std::string> OffboardingFileName(
    const ArtifactRef& script) {
  if (script.file_name.empty()) return std::string(kDefaultOffboardingFileName);
  RETURN_IF_ERROR(CheckArtifactName(
      script.file_name, "parameters.offboarding_script_id: artifact name"));
  return script.file_name;
}

[[nodiscard]] absl::StatusOr<ArtifactRef> RequireOffboardingScript(
    const PlanContext& ctx) {
  return RequireArtifact(ctx.inputs.offboarding_script, "offboarding_script_id",
                         "the offboarding script", ctx.inputs.kind);
}

}  // namespace

void AddSensorPresentPrecheck(absl::string_view what, v1::Plan* plan) {
  AddCheckService(
      plan, "precheck_sensor_present",
      "Stop if the unified agent is not installed (no Sense service)",
      mde::kSenseService, InstalledServiceStates(), v1::ON_MISMATCH_SKIP_TASK,
      absl::StrCat("service ", mde::kSenseService,
                   " absent: Defender for Endpoint is not installed, nothing "
                   "to ",
                   what));
}

void AddVerifySenseAbsent(v1::Plan* plan) {
  AddCheckService(
      plan, "verify_sense_absent", "Check that the Sense service is gone",
      mde::kSenseService, {v1::SERVICE_STATE_ABSENT}, v1::ON_MISMATCH_FAIL,
      absl::StrCat("service ", mde::kSenseService,
                   " still present after Install.ps1 -Uninstall: see the "
                   "run_install_ps1 output, then run the job again"));
}

absl::StatusOr<v1::Plan> BuildScriptOffboardPlan(const PlanContext& ctx) {
  ASSIGN_OR_RETURN(ArtifactRef script, RequireOffboardingScript(ctx));
  ASSIGN_OR_RETURN(const std::string file_name, OffboardingFileName(script));
  v1::Plan plan;
  AddCheckDword(&plan, "precheck_onboarded",
                "Stop if the device is not onboarded (OnboardingState != 1)",
                mde::kAtpStatusKey, mde::kOnboardingStateValue,
                DwordExpect::kEquals, 1, v1::ON_MISMATCH_SKIP_TASK,
                "not onboarded (OnboardingState is not 1): nothing to "
                "offboard");
  AddFetch(&plan, "fetch_offboarding_script", "Download the offboarding script",
           script, file_name);
  AddRunCmdScript(&plan, "run_offboarding_script", "Run the offboarding script",
                  file_name, "offboarding script");
  AddWaitService(
      &plan, "verify_sense_stopped", "Wait for the Sense service to stop",
      mde::kSenseService, v1::SERVICE_STATE_STOPPED,
      absl::StrCat("service ", mde::kSenseService, " did not stop within ",
                   absl::ToInt64Seconds(kServiceWaitTimeout),
                   " s of offboarding; see the offboarding step's output and "
                   "the SENSE event log"));
  AddCheckDword(
      &plan, "verify_offboarded", "Check OnboardingState = 0",
      mde::kAtpStatusKey, mde::kOnboardingStateValue, DwordExpect::kEquals, 0,
      v1::ON_MISMATCH_FAIL,
      absl::StrCat(mde::kOnboardingStateValue, " under HKLM\\",
                   mde::kAtpStatusKey,
                   " is not 0 after the offboarding script: check that the "
                   "script is this tenant's and not expired"));
  return plan;
}

absl::StatusOr<v1::Plan> BuildOffboardPlan(const PlanContext& ctx) {
  if (!UsesUnifiedAgentInstaller(ctx.family)) {
    return BuildScriptOffboardPlan(ctx);
  }
  ASSIGN_OR_RETURN(ArtifactRef script, RequireOffboardingScript(ctx));
  ASSIGN_OR_RETURN(const std::string file_name, OffboardingFileName(script));
  v1::Plan plan;
  AddSensorPresentPrecheck("offboard", &plan);
  // Install.ps1 checks this itself (Sense's Start value) and exits 34; the
  // precheck ends the task the same way without downloading anything.
  AddCheckDword(
      &plan, "precheck_onboarded",
      "Stop if the device is not onboarded (OnboardingState != 1)",
      mde::kAtpStatusKey, mde::kOnboardingStateValue, DwordExpect::kEquals, 1,
      v1::ON_MISMATCH_SKIP_TASK,
      "installed but not onboarded (OnboardingState is not 1): nothing to "
      "offboard (Install.ps1 would exit 34, \"Sense is not onboarded\"); "
      "md4ws stays installed: submit an uninstall job to remove it");
  RETURN_IF_ERROR(AddFetchInstallScript(ctx, &plan));
  AddFetch(&plan, "fetch_offboarding_script", "Download the offboarding script",
           script, file_name);
  v1::RunProcessAction* run = AddRunInstallPs1(
      &plan, "Offboard and uninstall with Install.ps1 -Uninstall",
      {"-Uninstall", "-OffboardingScript", WorkPath(file_name)});
  // Install.ps1 checks tamper protection after the offboarding script.
  (*run->mutable_exit_code_meanings())[install_ps1::kTamperProtected] =
      "tamper protection is still on: Install.ps1 offboarded the device, then "
      "stopped before uninstalling md4ws; turn tamper protection off for this "
      "device (Defender portal: troubleshooting mode, or the policy that "
      "turned it on), then submit an uninstall job";
  AddVerifySenseAbsent(&plan);
  return plan;
}

}  // namespace mdefleet::plan_internal

// image_prep (seed 000): before a device is imaged, cloned, generalised with
// Sysprep, renamed or moved to another domain, remove its Defender for
// Endpoint identity so the copies do not share one senseGuid (MDE flags
// such clones as spoofing, CVE-2022-23278): offboard if onboarded (with the
// offboarding script on every release: md4ws stays on a 2012 R2/2016 image),
// check Sense is stopped (or absent where md4ws was removed earlier),
// empty the Cyber directory, delete senseGuid, restart, and check after the
// restart that both are still gone. The runner runs as LocalSystem, so the
// seed's PsExec step has no equivalent here.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "common/os_family.h"
#include "common/plan/kind_plans.h"
#include "common/status_macros.h"

namespace mdefleet::plan_internal {
namespace {

// What a step that ran on facts that are no longer true says: the plan was
// made from the facts at submit time.
constexpr absl::string_view kResubmit =
    "submit image_prep again: its plan follows the device's facts at submit "
    "time";

bool FactsSayOnboarded(const v1::DeviceFacts& facts) {
  return facts.sensor_installed() && facts.onboarding_state() == 1;
}

// The offboarding script's steps (never Install.ps1 -Uninstall: a golden
// image keeps md4ws, seed 000 only offboards), with the first step (the
// precheck that skips the task when there is nothing to offboard) turned
// into a failure: here the facts said onboarded, and a device that is not
// must not lose its identity on a stale plan.
[[nodiscard]] absl::Status AddOffboardSteps(const PlanContext& ctx,
                                            v1::Plan* plan) {
  ASSIGN_OR_RETURN(v1::Plan offboard, BuildScriptOffboardPlan(ctx));
  for (int i = 0; i < offboard.steps_size(); ++i) {
    v1::PlannedStep step = offboard.steps(i);
    if (i == 0) {
      v1::Action* a = step.mutable_action();
      const std::string message = absl::StrCat(
          "not onboarded any more, although the device's facts said so when "
          "the job was submitted; ",
          kResubmit);
      if (a->has_check_registry()) {
        a->mutable_check_registry()->set_on_mismatch(v1::ON_MISMATCH_FAIL);
        a->mutable_check_registry()->set_mismatch_message(message);
      } else if (a->has_check_service()) {
        a->mutable_check_service()->set_on_mismatch(v1::ON_MISMATCH_FAIL);
        a->mutable_check_service()->set_mismatch_message(message);
      }
    }
    *plan->add_steps() = std::move(step);
  }
  for (const std::string& w : offboard.warnings()) plan->add_warnings(w);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Plan> BuildImagePrepPlan(const PlanContext& ctx) {
  v1::Plan plan;
  const bool downlevel = UsesUnifiedAgentInstaller(ctx.family);
  if (FactsSayOnboarded(ctx.facts)) {
    if (!ctx.inputs.offboarding_script.has_value() ||
        ctx.inputs.offboarding_script->id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameters.offboarding_script_id: the device ", ctx.facts.hostname(),
          " is onboarded (OnboardingState = 1), and image_prep must offboard "
          "it before deleting its identity (otherwise Sense recreates "
          "senseGuid at the next start); upload the offboarding script with "
          "`mdefleetctl artifacts upload` and pass --offboarding-script"));
    }
    RETURN_IF_ERROR(AddOffboardSteps(ctx, &plan));
  } else {
    // Not onboarded at submit time: nothing to offboard, but make sure on
    // the device, since deleting senseGuid under a running sensor is undone
    // at the next start.
    AddCheckDword(
        &plan, "precheck_not_onboarded",
        "Stop if the device is onboarded (OnboardingState = 1)",
        mde::kAtpStatusKey, mde::kOnboardingStateValue, DwordExpect::kNotEquals,
        1, v1::ON_MISMATCH_FAIL,
        absl::StrCat("onboarded (OnboardingState = 1), although the device's "
                     "facts said not when the job was submitted; ",
                     kResubmit, " with --offboarding-script"));
    AddSkip(&plan, "offboard", "Offboard (only when onboarded)",
            "not onboarded when the job was submitted: nothing to offboard");
  }
  std::vector<v1::ServiceState> stopped = {v1::SERVICE_STATE_STOPPED};
  if (downlevel) stopped.push_back(v1::SERVICE_STATE_ABSENT);
  AddCheckService(
      &plan, "check_sense_stopped",
      downlevel ? "Check that the Sense service is stopped or absent"
                : "Check that the Sense service is stopped",
      mde::kSenseService, stopped, v1::ON_MISMATCH_FAIL,
      absl::StrCat("service ", mde::kSenseService,
                   " is not stopped: the sensor still runs, so deleting its "
                   "identity would be undone; offboard the device first"));
  AddStep(&plan, "delete_cyber_contents",
          absl::StrCat("Delete everything under ", mde::kCyberDirectory),
          /*rerun_safe=*/true)
      ->mutable_action()
      ->mutable_delete_directory_contents()
      ->set_path(std::string(mde::kCyberDirectory));
  v1::DeleteRegistryValueAction* del =
      AddStep(&plan, "delete_sense_guid",
              absl::StrCat("Delete value ", mde::kSenseGuidValue,
                           " under HKLM\\", mde::kAtpKey),
              /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_delete_registry_value();
  del->set_key(std::string(mde::kAtpKey));
  del->set_name(std::string(mde::kSenseGuidValue));
  v1::RebootAction* reboot =
      AddStep(&plan, "reboot", "Restart the device", /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_reboot();
  reboot->set_reason(
      "image_prep: restart after removing the Defender for Endpoint identity");
  reboot->mutable_delay()->set_seconds(10);
  v1::CheckDirectoryEmptyAction* empty =
      AddStep(&plan, "verify_cyber_empty",
              "Check after the restart that the Cyber directory is empty",
              /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_check_directory_empty();
  empty->set_path(std::string(mde::kCyberDirectory));
  empty->set_on_mismatch(v1::ON_MISMATCH_FAIL);
  empty->set_mismatch_message(absl::StrCat(
      mde::kCyberDirectory,
      " is not empty after the restart: the sensor wrote to it again, so it "
      "is still onboarded; offboard it, then run image_prep again"));
  v1::PlannedStep* guid =
      AddStep(&plan, "verify_sense_guid_absent",
              absl::StrCat("Check after the restart that ",
                           mde::kSenseGuidValue, " is gone"),
              /*rerun_safe=*/true);
  v1::CheckRegistryAction* check =
      guid->mutable_action()->mutable_check_registry();
  check->set_key(std::string(mde::kAtpKey));
  check->set_name(std::string(mde::kSenseGuidValue));
  check->set_absent(true);
  check->set_on_mismatch(v1::ON_MISMATCH_FAIL);
  check->set_mismatch_message(absl::StrCat(
      mde::kSenseGuidValue, " under HKLM\\", mde::kAtpKey,
      " came back after the restart: Sense is onboarded and recreated it; "
      "offboard the device, then run image_prep again"));
  return plan;
}

}  // namespace mdefleet::plan_internal

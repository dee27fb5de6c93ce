// set_passive_mode: ForceDefenderPassiveMode = 1 under the Defender for
// Endpoint policy key, read back. Defender Antivirus switches to passive
// mode at the next start of the machine (or when the device is onboarded).
// With tamper protection on, an active Defender Antivirus does not switch
// (seed 003): the value has to be set before onboarding, so the plan stops
// before writing anything and says what to do.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "common/plan/kind_plans.h"

namespace mdefleet::plan_internal {
namespace {

constexpr char kTamperBlocksPassiveMode[] =
    "tamper protection is on and Defender Antivirus runs in active mode: "
    "ForceDefenderPassiveMode = 1 does not switch it to passive mode any more "
    "(it must be set before onboarding, seed 003). Either turn on "
    "troubleshooting mode for the device in the Defender portal, turn tamper "
    "protection off (Set-MpPreference -DisableTamperProtection $true) and run "
    "set_passive_mode again, or offboard the device, run set_passive_mode, "
    "restart it and onboard it again";

}  // namespace

absl::StatusOr<v1::Plan> BuildSetPassiveModePlan(const PlanContext& ctx) {
  v1::Plan plan;
  AddCheckDword(&plan, "precheck_not_passive",
                "Stop if Defender Antivirus already runs in passive mode",
                mde::kDefenderKey, mde::kPassiveModeValue,
                DwordExpect::kNotEquals, 1, v1::ON_MISMATCH_SKIP_TASK,
                "Defender Antivirus already runs in passive mode "
                "(PassiveMode = 1): nothing to do");
  AddCheckDword(&plan, "precheck_tamper_protection",
                "Stop if tamper protection is on (it keeps an active Defender "
                "Antivirus from switching)",
                mde::kDefenderFeaturesKey, mde::kTamperProtectionValue,
                DwordExpect::kNotEquals, 1, v1::ON_MISMATCH_FAIL,
                kTamperBlocksPassiveMode);
  plan.mutable_steps(plan.steps_size() - 1)
      ->mutable_action()
      ->mutable_check_registry()
      ->set_dword_mask(1);
  v1::SetRegistryValueAction* set =
      AddStep(&plan, "set_force_passive_mode",
              absl::StrCat("Set ", mde::kForcePassiveModeValue,
                           " = 1 (takes effect at the next restart)"),
              /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_set_registry_value();
  set->set_key(std::string(mde::kAtpPolicyKey));
  set->set_name(std::string(mde::kForcePassiveModeValue));
  set->mutable_value()->set_dword(1);
  AddCheckDword(&plan, "verify_force_passive_mode",
                absl::StrCat("Read ", mde::kForcePassiveModeValue, " back"),
                mde::kAtpPolicyKey, mde::kForcePassiveModeValue,
                DwordExpect::kEquals, 1, v1::ON_MISMATCH_FAIL,
                absl::StrCat(mde::kForcePassiveModeValue, " under HKLM\\",
                             mde::kAtpPolicyKey,
                             " does not read back as 1: a Group Policy may "
                             "overwrite it; check the policies applied to "
                             "the device"));
  if (ctx.facts.tamper_protection() == v1::FEATURE_STATE_ON &&
      ctx.facts.av_mode() == v1::AV_MODE_ACTIVE) {
    plan.add_warnings(
        absl::StrCat("this device will fail: ", kTamperBlocksPassiveMode));
  }
  return plan;
}

}  // namespace mdefleet::plan_internal

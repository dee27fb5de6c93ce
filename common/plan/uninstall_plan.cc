// uninstall: remove md4ws from a 2012 R2/2016 server that is installed but
// not onboarded (Install.ps1 -Uninstall, which needs no md4ws.msi and no
// offboarding script). 2019+ have the sensor built into Windows: nothing to
// remove there.
#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "common/os_family.h"
#include "common/plan/kind_plans.h"
#include "common/status_macros.h"

namespace mdefleet::plan_internal {

absl::StatusOr<v1::Plan> BuildUninstallPlan(const PlanContext& ctx) {
  v1::Plan plan;
  if (!UsesUnifiedAgentInstaller(ctx.family)) {
    AddSkip(&plan, "uninstall", "Uninstall md4ws (2012 R2/2016 only)",
            absl::StrCat(ReleaseName(ctx.family),
                         " has the sensor built into Windows: nothing to "
                         "uninstall; offboard it instead"));
    return plan;
  }
  AddSensorPresentPrecheck("uninstall", &plan);
  // Install.ps1 refuses an onboarded device (exit 35): say so before
  // downloading it.
  AddCheckDword(
      &plan, "precheck_not_onboarded",
      "Stop if the device is onboarded (OnboardingState = 1)",
      mde::kAtpStatusKey, mde::kOnboardingStateValue, DwordExpect::kNotEquals,
      1, v1::ON_MISMATCH_FAIL,
      "onboarded (OnboardingState = 1): md4ws can be removed only from an "
      "offboarded device (Install.ps1 would exit 35); submit offboard, which "
      "offboards and uninstalls");
  RETURN_IF_ERROR(AddFetchInstallScript(ctx, &plan));
  AddRunInstallPs1(&plan, "Uninstall md4ws with Install.ps1 -Uninstall",
                   {"-Uninstall"});
  AddVerifySenseAbsent(&plan);
  return plan;
}

}  // namespace mdefleet::plan_internal

// install: the unified agent (md4ws.msi via Install.ps1) on 2012 R2/2016;
// nothing on 2019+, where the sensor is built in.
#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "common/os_family.h"
#include "common/plan/kind_plans.h"
#include "common/status_macros.h"

namespace mdefleet::plan_internal {

absl::StatusOr<v1::Plan> BuildInstallPlan(const PlanContext& ctx) {
  v1::Plan plan;
  if (!UsesUnifiedAgentInstaller(ctx.family)) {
    AddSkip(&plan, "install", "Install the Defender for Endpoint sensor",
            absl::StrCat("nothing to install on ", ReleaseName(ctx.family),
                         ": the Defender for Endpoint sensor is built in; "
                         "run onboard"));
    return plan;
  }
  AddCheckService(
      &plan, "precheck_not_installed",
      "Stop if the unified agent is already installed (Sense service present)",
      mde::kSenseService, {v1::SERVICE_STATE_ABSENT}, v1::ON_MISMATCH_SKIP_TASK,
      absl::StrCat("unified agent already installed (service ",
                   mde::kSenseService, " present): nothing to install"));
  RETURN_IF_ERROR(AddFetchInstaller(ctx, &plan));
  std::vector<std::string> switches;
  AppendPassiveSwitch(ctx, &switches);
  AddRunInstallPs1(
      &plan,
      switches.empty()
          ? "Install the unified agent with Install.ps1"
          : absl::StrCat("Install the unified agent with Install.ps1 -Passive "
                         "(third-party antivirus ",
                         ctx.facts.third_party_av(), ")"),
      switches);
  AddCheckService(
      &plan, "verify_sensor_installed", "Check that the Sense service exists",
      mde::kSenseService, InstalledServiceStates(), v1::ON_MISMATCH_FAIL,
      absl::StrCat("service ", mde::kSenseService,
                   " still absent after Install.ps1: the unified agent "
                   "(md4ws.msi) did not install; see the run_install_ps1 "
                   "output"));
  return plan;
}

}  // namespace mdefleet::plan_internal

// api_offboard: steps the server executes itself (server/defender), shown
// like any plan. Their actions are left empty: no runner ever runs them.
#include "absl/strings/str_cat.h"
#include "common/api_offboard.h"
#include "common/plan/kind_plans.h"

namespace mdefleet::plan_internal {

absl::StatusOr<v1::Plan> BuildApiOffboardPlan(const PlanContext& ctx) {
  v1::Plan plan;
  const std::string& id = ctx.facts.mde_machine_id();
  if (id.empty()) {
    AddSkip(&plan, "request_offboard",
            "offboard the device through the Defender API",
            "the device reports no Defender machine id (senseId under "
            "HKLM\\SOFTWARE\\Microsoft\\Windows Advanced Threat Protection): "
            "the sensor never registered with Defender, so there is nothing "
            "to offboard");
    return plan;
  }
  if (!IsMachineId(id)) {
    return absl::FailedPreconditionError(
        absl::StrCat("mde_machine_id \"", id.substr(0, 64),
                     "\" is not a Defender machine id (40 hex characters), so "
                     "api_offboard cannot address the device"));
  }
  AddStep(&plan, "request_offboard",
          absl::StrCat("server: POST /api/machines/", id,
                       "/offboard with the job's comment (Defender API, "
                       "rate limited to 100 calls/min and 1500/h)"),
          /*rerun_safe=*/false);
  AddStep(&plan, "wait_machine_action",
          "server: follow the machine action until Defender reports it "
          "Succeeded (it stays Pending until the device next contacts "
          "Defender)",
          /*rerun_safe=*/true);
  AddStep(&plan, "confirm_last_seen_stopped",
          absl::StrCat("server: GET /api/machines (one batched call per poll "
                       "interval) until the machine's lastSeen is seen not "
                       "to move past the moment the action Succeeded (at "
                       "most ",
                       kLastSeenChecks, " checks; same rate limit)"),
          /*rerun_safe=*/true);
  return plan;
}

}  // namespace mdefleet::plan_internal

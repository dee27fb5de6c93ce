// One builder per job kind; BuildPlan (plan.cc) picks one after checking the
// kind and the release. Internal to common/plan.
#ifndef MDEFLEET_COMMON_PLAN_KIND_PLANS_H_
#define MDEFLEET_COMMON_PLAN_KIND_PLANS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/plan/plan_steps.h"
#include "mdefleet/v1/plan.pb.h"

namespace mdefleet::plan_internal {

// Each takes a context whose family is a supported release and returns the
// steps, or InvalidArgument for a missing input / FailedPrecondition for a
// device that cannot run the kind.
[[nodiscard]] absl::StatusOr<v1::Plan> BuildInstallPlan(const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildOnboardPlan(const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildMigrateMmaPlan(
    const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildOffboardPlan(
    const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildUninstallPlan(
    const PlanContext& ctx);
// Offboarding with the offboarding script alone, leaving md4ws installed
// (offboard on 2019+, image_prep on every release): skip when not
// onboarded, run the script, wait for Sense to stop, check
// OnboardingState = 0.
[[nodiscard]] absl::StatusOr<v1::Plan> BuildScriptOffboardPlan(
    const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildImagePrepPlan(
    const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildSetPassiveModePlan(
    const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildHealthCheckPlan(
    const PlanContext& ctx);
// Server-executed (server/defender): request_offboard, wait_machine_action.
[[nodiscard]] absl::StatusOr<v1::Plan> BuildApiOffboardPlan(
    const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildConfigureProxyPlan(
    const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildConnectivityTestPlan(
    const PlanContext& ctx);
[[nodiscard]] absl::StatusOr<v1::Plan> BuildCollectDiagnosticsPlan(
    const PlanContext& ctx);

// The onboarding script, or InvalidArgument on
// parameters.onboarding_script_id naming `kind`.
[[nodiscard]] absl::StatusOr<ArtifactRef> RequireOnboardingScript(
    const PlanContext& ctx);

// fetch_onboarding_script: the onboarding script saved as
// WindowsDefenderATPOnboardingScript.cmd.
void AddFetchOnboardingScript(const ArtifactRef& script, v1::Plan* plan);

// verify_sense_running (Sense RUNNING) and verify_onboarding_state
// (OnboardingState = 1), the last steps of onboard and migrate_mma.
void AddVerifyOnboarded(v1::Plan* plan);
// precheck_sensor_present: the task is skipped when there is no Sense
// service ("nothing to <what>").
void AddSensorPresentPrecheck(absl::string_view what, v1::Plan* plan);
// verify_sense_absent: after Install.ps1 -Uninstall, Sense must be gone.
void AddVerifySenseAbsent(v1::Plan* plan);

}  // namespace mdefleet::plan_internal

#endif  // MDEFLEET_COMMON_PLAN_KIND_PLANS_H_

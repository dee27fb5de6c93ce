#include "common/plan/plan.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/os_family.h"
#include "common/plan/kind_plans.h"
#include "common/plan/plan_steps.h"
#include "common/status_macros.h"

namespace mdefleet {
namespace {

using plan_internal::PlanContext;

constexpr absl::string_view kSupportedReleases =
    "2012 R2 (6.3.9600), 2016 (10.0.14393), 2019 (10.0.17763), "
    "2022 (10.0.20348), 2025 (10.0.26100)";

// The device's release from the server-derived family, or from the version
// when the family was not filled in.
v1::OsFamily FamilyOf(const v1::DeviceFacts& facts) {
  if (facts.os_family() != v1::OS_FAMILY_UNSPECIFIED &&
      v1::OsFamily_IsValid(facts.os_family())) {
    return facts.os_family();
  }
  return OsFamilyFromVersion(facts.os_version());
}

[[nodiscard]] absl::Status UnknownKind(absl::string_view kind) {
  return absl::InvalidArgumentError(
      absl::StrCat("kind: unknown job kind \"", kind, "\"; expected one of ",
                   absl::StrJoin(KnownJobKinds(), ", ")));
}

[[nodiscard]] absl::StatusOr<v1::Plan> BuildForKind(const PlanContext& ctx) {
  const std::string& kind = ctx.inputs.kind;
  if (kind == "install") return plan_internal::BuildInstallPlan(ctx);
  if (kind == "onboard") return plan_internal::BuildOnboardPlan(ctx);
  if (kind == "migrate_mma") return plan_internal::BuildMigrateMmaPlan(ctx);
  if (kind == "offboard") return plan_internal::BuildOffboardPlan(ctx);
  if (kind == "uninstall") return plan_internal::BuildUninstallPlan(ctx);
  if (kind == "image_prep") return plan_internal::BuildImagePrepPlan(ctx);
  if (kind == "set_passive_mode") {
    return plan_internal::BuildSetPassiveModePlan(ctx);
  }
  if (kind == "health_check") return plan_internal::BuildHealthCheckPlan(ctx);
  if (kind == "api_offboard") return plan_internal::BuildApiOffboardPlan(ctx);
  if (kind == "configure_proxy") {
    return plan_internal::BuildConfigureProxyPlan(ctx);
  }
  if (kind == "connectivity_test") {
    return plan_internal::BuildConnectivityTestPlan(ctx);
  }
  if (kind == "collect_diagnostics") {
    return plan_internal::BuildCollectDiagnosticsPlan(ctx);
  }
  return UnknownKind(kind);
}

bool RunsInstallPs1(const v1::Plan& plan) {
  for (const v1::PlannedStep& step : plan.steps()) {
    if (step.name() == "run_install_ps1") return true;
  }
  return false;
}

void AddWarnings(v1::OsFamily family, const v1::DeviceFacts& facts,
                 v1::Plan* plan) {
  if (family == v1::OS_FAMILY_WS2012R2) {
    plan->add_warnings(
        "Windows Server 2012 R2 is out of extended support (ended "
        "2023-10-10): onboarding is possible but not recommended");
  }
  if (facts.reboot_pending() && RunsInstallPs1(*plan)) {
    plan->add_warnings(
        "a reboot is pending: Install.ps1 exits 12 until the device "
        "restarts; the runner restarts it (in the job's maintenance window, "
        "if it has one) and runs Install.ps1 again");
  }
}

}  // namespace

const std::vector<std::string>& KnownJobKinds() {
  static const auto* kinds = new std::vector<std::string>{
      "install",      "onboard",           "migrate_mma",
      "offboard",     "uninstall",         "api_offboard",
      "image_prep",   "configure_proxy",   "set_passive_mode",
      "health_check", "connectivity_test", "collect_diagnostics",
  };
  return *kinds;
}

bool IsServerExecutedStep(const v1::PlannedStep& step) {
  return step.action().kind_case() == v1::Action::KIND_NOT_SET;
}

v1::Plan RunnerPart(v1::Plan plan) {
  auto* steps = plan.mutable_steps();
  while (!steps->empty() && IsServerExecutedStep(*steps->rbegin())) {
    steps->RemoveLast();
  }
  return plan;
}

v1::FailureClass ClassifyStepFailure(const v1::PlannedStep& step,
                                     std::optional<int32_t> exit_code) {
  if (exit_code.has_value() && step.action().has_run_process()) {
    for (int32_t code : step.action().run_process().retryable_exit_codes()) {
      if (code == *exit_code) return v1::FAILURE_CLASS_RETRYABLE;
    }
  }
  return step.failure_class();
}

absl::StatusOr<v1::Plan> BuildPlan(const PlanInputs& inputs,
                                   const v1::DeviceFacts& facts) {
  bool known = false;
  for (const std::string& k : KnownJobKinds())
    known = known || k == inputs.kind;
  if (!known) return UnknownKind(inputs.kind);
  const v1::OsFamily family = FamilyOf(facts);
  if (family == v1::OS_FAMILY_UNSPECIFIED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "os_version \"", facts.os_version(), "\"",
        facts.os_product().empty()
            ? ""
            : absl::StrCat(" (", facts.os_product(), ")"),
        ": not a supported Windows Server release, so ", inputs.kind,
        " cannot run here; supported releases: ", kSupportedReleases));
  }
  const PlanContext ctx{inputs, facts, family};
  ASSIGN_OR_RETURN(v1::Plan plan, BuildForKind(ctx));
  AddWarnings(family, facts, &plan);
  return plan;
}

}  // namespace mdefleet

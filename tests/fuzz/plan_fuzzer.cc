// libFuzzer target: plan building (common/plan) from a job spec and a
// device's facts. The spec comes from an operator; the facts come from the
// device's runner, so a compromised or impersonated device controls every
// field of them. BuildPlan must never crash on either, and a plan the server
// builds for a valid spec must be one the runner accepts: every step passes
// the runner's action policy (runner/executor/action_policy.h) before
// anything runs.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/api_offboard.h"
#include "common/artifact_validation.h"
#include "common/device_needs.h"
#include "common/job_spec_validation.h"
#include "common/mde_constants.h"
#include "common/os_family.h"
#include "common/plan/plan.h"
#include "common/rollout_policy.h"
#include "common/url_list.h"
#include "runner/executor/action_policy.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_inputs.pb.h"
#include "tests/fuzz/fuzz_proto.h"

namespace mdefleet {
namespace {

constexpr char kWorkDir[] =
    "C:\\ProgramData\\mdefleet\\work\\task-0123456789abcdef";
constexpr char kDefaultOffboardingName[] =
    "WindowsDefenderATPOffboardingScript_valid_until_2099-12-31.cmd";

// The artifact named `id` as PlanInputsForSpec resolves it (every id is
// taken to exist; the server refuses the job otherwise).
std::optional<ArtifactRef> Ref(const std::string& id, absl::string_view name) {
  if (id.empty()) return std::nullopt;
  return ArtifactRef{id, std::string(name)};
}

// An offboarding script name upload validation accepts (every stored one
// passed it), else a typical one.
std::string OffboardingName(const std::string& name) {
  const std::string content =
      absl::StrCat("reg add \"HKLM\\", mde::kAtpPolicyKey, "\" /v ",
                   mde::kOffboardingMarker, " /t REG_SZ /f /d \"{}\"\r\n");
  if (ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT, name, content,
                       absl::CivilDay(1970, 1, 1))
          .ok()) {
    return name;
  }
  return kDefaultOffboardingName;
}

// What the server stores of reported facts (RunnerHandlers'
// WithDerivedFacts).
v1::DeviceFacts Derived(const v1::DeviceFacts& facts) {
  v1::DeviceFacts out = facts;
  out.set_os_family(OsFamilyFromVersion(facts.os_version()));
  if (out.os_build() == 0) {
    out.set_os_build(OsBuildFromVersion(facts.os_version()));
  }
  out.set_mde_state(DeriveMdeState(out));
  return out;
}

// The runner's refusal of `step` before running it, as StepExecutor checks
// it; Ok when it would run.
absl::Status RunnerRefusal(const v1::PlannedStep& step) {
  const v1::Action& a = step.action();
  switch (a.kind_case()) {
    case v1::Action::kRunProcess:
      return runner::BuildProcessRequest(a.run_process(), kWorkDir).status();
    case v1::Action::kSetRegistryValue:
      return runner::CheckRegistryKeyAllowed(a.set_registry_value().key());
    case v1::Action::kDeleteRegistryValue:
      return runner::CheckRegistryKeyAllowed(a.delete_registry_value().key());
    case v1::Action::kCheckRegistry: {
      const v1::CheckRegistryAction& c = a.check_registry();
      absl::Status s = runner::CheckRegistryReadAllowed(c.key());
      if (s.ok() && !c.fallback_key().empty()) {
        s = runner::CheckRegistryReadAllowed(c.fallback_key());
      }
      return s;
    }
    case v1::Action::kFetchArtifact:
      return runner::CheckArtifactFileName(a.fetch_artifact().file_name());
    case v1::Action::kDeleteDirectoryContents:
      return runner::CheckDeletablePath(
          runner::ExpandWorkDir(a.delete_directory_contents().path(), kWorkDir),
          kWorkDir);
    case v1::Action::KIND_NOT_SET:
      return absl::InvalidArgumentError("the step has no action");
    default:
      return absl::OkStatus();
  }
}

void CheckPlan(const v1::Plan& plan) {
  for (const v1::PlannedStep& step : plan.steps()) {
    FUZZ_CHECK(!step.name().empty(), "a step without a name");
    const absl::Status refusal = RunnerRefusal(step);
    FUZZ_CHECK(refusal.ok(),
               absl::StrCat("the runner refuses step ", step.name(), ": ",
                            refusal.message()));
    ClassifyStepFailure(step, std::nullopt);
    ClassifyStepFailure(step, 1);
  }
}

int FuzzPlan(const uint8_t* data, size_t size) {
  fuzz::PlanFuzzInput input;
  if (!fuzz::ParseQuietly(data, size, &input)) return -1;
  const v1::JobSpec& spec = input.spec();
  const v1::JobParameters& p = spec.parameters();
  PlanInputs inputs;
  inputs.kind = spec.kind();
  inputs.workspace_id = p.workspace_id();
  inputs.install_script =
      Ref(p.install_script_id(), mde::kInstallScriptFileName);
  inputs.installer_msi = Ref(p.installer_msi_id(), mde::kInstallerMsiFileName);
  inputs.onboarding_script =
      Ref(p.onboarding_script_id(), mde::kOnboardingScriptFileName);
  inputs.offboarding_script =
      Ref(p.offboarding_script_id(),
          OffboardingName(input.offboarding_script_name()));
  inputs.proxy = p.proxy();
  if (!p.url_list_id().empty()) {
    absl::StatusOr<std::vector<std::string>> urls =
        ParseUrlList(input.url_list());
    if (!urls.ok()) return 0;  // the server refuses the job
    inputs.urls = *std::move(urls);
  }
  // Whatever the facts claim, as reported and as the server stores them.
  BuildPlan(inputs, input.facts()).IgnoreError();
  const v1::DeviceFacts facts = Derived(input.facts());
  DescribeNeeds(FactNeeds(facts));
  absl::StatusOr<v1::Plan> plan = BuildPlan(inputs, facts);
  // api_offboard runs in the server, not on the device.
  if (!ValidateJobSpec(spec).ok() || IsServerExecutedKind(spec.kind())) {
    return 0;
  }
  if (!plan.ok()) {
    // A device that cannot run the job, or an input the spec does not
    // resolve (Install.ps1 missing for 2016...).
    FUZZ_CHECK(absl::IsFailedPrecondition(plan.status()) ||
                   absl::IsInvalidArgument(plan.status()),
               plan.status().ToString());
    return 0;
  }
  CheckPlan(*plan);
  // What SubmitJob then checks against the policy.
  const absl::Status fits =
      CheckTaskTimeoutFitsPlan(spec.policy(), *plan, facts.hostname());
  FUZZ_CHECK(fits.ok() || absl::IsInvalidArgument(fits), fits.ToString());
  return 0;
}

}  // namespace
}  // namespace mdefleet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return mdefleet::FuzzPlan(data, size);
}

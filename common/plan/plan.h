// The one place where operations become steps: (job kind, parameters, device
// facts) -> ordered primitive actions. Pure: no I/O, no clock.
#ifndef MDEFLEET_COMMON_PLAN_PLAN_H_
#define MDEFLEET_COMMON_PLAN_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/defender_urls.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/plan.pb.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet {

// An artifact the plan downloads: its id (SHA-256) and its uploaded file
// name. The offboarding script keeps that name on the device (it carries the
// _valid_until_ date; it must be a plain file name); Install.ps1, md4ws.msi
// and the onboarding script always get their fixed names (mde_constants.h),
// as Install.ps1 requires.
struct ArtifactRef {
  std::string id;
  std::string file_name;
};

// Job parameters with artifact ids resolved by the server.
struct PlanInputs {
  std::string kind;  // a KnownJobKinds() entry
  std::string workspace_id;
  // The tenant's MDE workspace ids, normalized (common/mde_workspaces.h):
  // the server's setting, not the job's. Empty: not configured.
  std::vector<std::string> mde_workspace_ids;
  std::optional<ArtifactRef> install_script;  // Install.ps1
  std::optional<ArtifactRef> installer_msi;   // md4ws.msi
  std::optional<ArtifactRef> onboarding_script;
  std::optional<ArtifactRef> offboarding_script;
  v1::ProxyConfig proxy;  // configure_proxy
  // connectivity_test: the URLs of parameters.url_list_id, read by the
  // server (common/url_list.h); empty when the job has no URL list (the
  // plan then checks the built-in list, common/defender_urls.h).
  std::vector<std::string> urls;
  // Where the onboarding script (parameters.onboarding_script_id) sends the
  // sensor, read by the server: onboard's and migrate_mma's connectivity
  // precheck tries that gateway, and connectivity_test without a URL list
  // checks that geography's URLs. nullopt: no script, or one naming no
  // Microsoft gateway.
  std::optional<OnboardingGeography> onboarding_geography;
  // collect_diagnostics: Microsoft's MDEClientAnalyzer.zip
  // (parameters.client_analyzer_id).
  std::optional<ArtifactRef> client_analyzer;
  // onboard: how long the server waits for Defender to list the device
  // Active after the runner's steps (confirm_in_defender); zero when the
  // server has no Defender API credentials (the step is then skipped with
  // that reason). The server's setting, not the job's.
  absl::Duration defender_confirm_timeout = absl::ZeroDuration();
};

// The job kinds BuildPlan knows, in the order operators see them.
const std::vector<std::string>& KnownJobKinds();

// Builds the ordered steps for one device. Prechecks come first and stop the
// task with an actionable message; verification steps come last.
// Errors (InvalidArgument / FailedPrecondition, naming the field) when an input
// the device needs is missing, e.g. no Install.ps1 for a 2016 device.
[[nodiscard]] absl::StatusOr<v1::Plan> BuildPlan(const PlanInputs& inputs,
                                                 const v1::DeviceFacts& facts);

// True for a step the server executes itself (api_offboard's steps,
// onboard's confirm_in_defender): it has no action. Runners never get one.
bool IsServerExecutedStep(const v1::PlannedStep& step);

// `plan` without its server-executed steps: what a runner is given. They
// come last in a plan that mixes both, so the runner's step indexes are the
// plan's.
v1::Plan RunnerPart(v1::Plan plan);

// How a failure of `step` is classified for retries: RETRYABLE when the step
// ran a program that exited with one of its retryable_exit_codes, otherwise
// the step's failure_class (FINAL unless the plan says otherwise).
v1::FailureClass ClassifyStepFailure(const v1::PlannedStep& step,
                                     std::optional<int32_t> exit_code);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_PLAN_PLAN_H_

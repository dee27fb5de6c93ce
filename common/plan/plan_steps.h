// Small builders for the planned steps the job plans are made of, and the
// shared context a plan is built from. Internal to common/plan.
#ifndef MDEFLEET_COMMON_PLAN_PLAN_STEPS_H_
#define MDEFLEET_COMMON_PLAN_PLAN_STEPS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/plan/plan.h"
#include "mdefleet/v1/plan.pb.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::plan_internal {

inline constexpr absl::Duration kInstallPs1Timeout = absl::Minutes(30);
inline constexpr absl::Duration kScriptTimeout = absl::Minutes(10);
inline constexpr absl::Duration kServiceWaitTimeout = absl::Seconds(120);

// Working-directory placeholder the runner expands (see RunProcessAction).
inline constexpr absl::string_view kWorkDir = "${work_dir}";

// What every kind's builder gets: the inputs, the facts and the device's
// supported release.
struct PlanContext {
  const PlanInputs& inputs;
  const v1::DeviceFacts& facts;
  v1::OsFamily family;
};

// "Windows Server 2016", "Windows Server 2012 R2", ...
std::string ReleaseName(v1::OsFamily family);

// "${work_dir}\<file_name>".
std::string WorkPath(absl::string_view file_name);

// Registry key of one MMA workspace: "...\Management Groups\AOI-<ws>".
std::string MmaWorkspaceKey(absl::string_view workspace_id);

// A step whose action the caller fills in; rerun_safe as given.
v1::PlannedStep* AddStep(v1::Plan* plan, absl::string_view name,
                         absl::string_view description, bool rerun_safe);

// A step recorded as skipped with `reason`.
void AddSkip(v1::Plan* plan, absl::string_view name,
             absl::string_view description, absl::string_view reason);

// check_registry on a DWORD value.
enum class DwordExpect { kEquals, kNotEquals };
void AddCheckDword(v1::Plan* plan, absl::string_view name,
                   absl::string_view description, absl::string_view key,
                   absl::string_view value_name, DwordExpect expect,
                   uint32_t dword, v1::OnMismatch on_mismatch,
                   absl::string_view mismatch_message);

// check_registry on a key's existence (value name empty).
void AddCheckKey(v1::Plan* plan, absl::string_view name,
                 absl::string_view description, absl::string_view key,
                 bool expect_present, v1::OnMismatch on_mismatch,
                 absl::string_view mismatch_message);

// check_service accepting `accept`.
void AddCheckService(v1::Plan* plan, absl::string_view name,
                     absl::string_view description,
                     absl::string_view service_name,
                     const std::vector<v1::ServiceState>& accept,
                     v1::OnMismatch on_mismatch,
                     absl::string_view mismatch_message);

// Every state of an installed service (anything but ABSENT).
std::vector<v1::ServiceState> InstalledServiceStates();

// wait_service_state with the standard timeout.
void AddWaitService(v1::Plan* plan, absl::string_view name,
                    absl::string_view description,
                    absl::string_view service_name, v1::ServiceState state,
                    absl::string_view mismatch_message);

// check_url through the device's configured proxy, as the sensor goes (EDR
// static proxy, else WinHTTP's, else WPAD, else direct); its failure is
// RETRYABLE (connectivity may come back).
void AddCheckUrl(v1::Plan* plan, absl::string_view name,
                 absl::string_view description, absl::string_view url,
                 absl::string_view mismatch_message);

// fetch_artifact of `ref` into the working directory as `file_name`; its
// failure is RETRYABLE.
void AddFetch(v1::Plan* plan, absl::string_view name,
              absl::string_view description, const ArtifactRef& ref,
              absl::string_view file_name);

// run_process of PowerShell "${work_dir}\Install.ps1" <switches...>, with the
// exit-code meanings (install_ps1::kExitCodes), the Install.ps1 timeout, its
// retryable exit codes (install_ps1::kRetryableExitCodes; every other failure
// FINAL), its restart codes (install: 12, 3010, 1641 restart and run again;
// with "-Uninstall": 12 restarts and runs again, 3010/1641 succeed and
// restart to finish) and the MSI log Install.ps1 leaves beside itself, whose
// last lines the step message carries after an msiexec failure (1603).
// Returns the action so a plan can word a meaning for its own context.
v1::RunProcessAction* AddRunInstallPs1(
    v1::Plan* plan, absl::string_view description,
    const std::vector<std::string>& switches);

// run_process of cmd.exe /c "${work_dir}\<script_file>" with the script
// timeout; `display_name` is "onboarding script" or "offboarding script".
void AddRunCmdScript(v1::Plan* plan, absl::string_view name,
                     absl::string_view description,
                     absl::string_view script_file,
                     absl::string_view display_name);

// The artifact `ref` or InvalidArgument naming `field` ("parameters.<field>:
// <what> is required for <why>"). Also rejects an id that is not a SHA-256.
[[nodiscard]] absl::StatusOr<ArtifactRef> RequireArtifact(
    const std::optional<ArtifactRef>& ref, absl::string_view field,
    absl::string_view what, absl::string_view why);

// Fetches Install.ps1 and md4ws.msi (steps fetch_install_ps1,
// fetch_md4ws_msi), requiring both inputs for the device's release.
[[nodiscard]] absl::Status AddFetchInstaller(const PlanContext& ctx,
                                             v1::Plan* plan);

// Fetches Install.ps1 only (step fetch_install_ps1): uninstalling needs no
// md4ws.msi (Install.ps1 looks for it only to install).
[[nodiscard]] absl::Status AddFetchInstallScript(const PlanContext& ctx,
                                                 v1::Plan* plan);

// "-Passive" when the facts name a third-party antivirus (Install.ps1 then
// installs Defender Antivirus in passive mode).
void AppendPassiveSwitch(const PlanContext& ctx,
                         std::vector<std::string>* switches);

}  // namespace mdefleet::plan_internal

#endif  // MDEFLEET_COMMON_PLAN_PLAN_STEPS_H_

#include "common/plan/plan_steps.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/install_ps1.h"
#include "common/job_spec_validation.h"
#include "common/mde_constants.h"

namespace mdefleet::plan_internal {
namespace {

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  out->set_seconds(absl::ToInt64Seconds(d));
}

v1::CheckRegistryAction* AddCheckRegistry(
    v1::Plan* plan, absl::string_view name, absl::string_view description,
    absl::string_view key, absl::string_view value_name,
    v1::OnMismatch on_mismatch, absl::string_view mismatch_message) {
  v1::CheckRegistryAction* check =
      AddStep(plan, name, description, /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_check_registry();
  check->set_key(std::string(key));
  check->set_name(std::string(value_name));
  check->set_on_mismatch(on_mismatch);
  check->set_mismatch_message(std::string(mismatch_message));
  return check;
}

}  // namespace

std::string ReleaseName(v1::OsFamily family) {
  switch (family) {
    case v1::OS_FAMILY_WS2012R2:
      return "Windows Server 2012 R2";
    case v1::OS_FAMILY_WS2016:
      return "Windows Server 2016";
    case v1::OS_FAMILY_WS2019:
      return "Windows Server 2019";
    case v1::OS_FAMILY_WS2022:
      return "Windows Server 2022";
    case v1::OS_FAMILY_WS2025:
      return "Windows Server 2025";
    default:
      return "an unsupported Windows release";
  }
}

std::string WorkPath(absl::string_view file_name) {
  return absl::StrCat(kWorkDir, "\\", file_name);
}

std::string MmaWorkspaceKey(absl::string_view workspace_id) {
  return absl::StrCat(mde::kMmaManagementGroupsKey, "\\",
                      mde::kMmaWorkspacePrefix, workspace_id);
}

v1::PlannedStep* AddStep(v1::Plan* plan, absl::string_view name,
                         absl::string_view description, bool rerun_safe) {
  v1::PlannedStep* step = plan->add_steps();
  step->set_name(std::string(name));
  step->set_description(std::string(description));
  step->set_rerun_safe(rerun_safe);
  return step;
}

void AddSkip(v1::Plan* plan, absl::string_view name,
             absl::string_view description, absl::string_view reason) {
  AddStep(plan, name, description, /*rerun_safe=*/true)
      ->mutable_action()
      ->mutable_skip()
      ->set_reason(std::string(reason));
}

void AddCheckDword(v1::Plan* plan, absl::string_view name,
                   absl::string_view description, absl::string_view key,
                   absl::string_view value_name, DwordExpect expect,
                   uint32_t dword, v1::OnMismatch on_mismatch,
                   absl::string_view mismatch_message) {
  v1::CheckRegistryAction* check = AddCheckRegistry(
      plan, name, description, key, value_name, on_mismatch, mismatch_message);
  if (expect == DwordExpect::kEquals) {
    check->set_dword_equals(dword);
  } else {
    check->set_dword_not_equals(dword);
  }
}

void AddCheckKey(v1::Plan* plan, absl::string_view name,
                 absl::string_view description, absl::string_view key,
                 bool expect_present, v1::OnMismatch on_mismatch,
                 absl::string_view mismatch_message) {
  v1::CheckRegistryAction* check = AddCheckRegistry(
      plan, name, description, key, "", on_mismatch, mismatch_message);
  if (expect_present) {
    check->set_present(true);
  } else {
    check->set_absent(true);
  }
}

void AddCheckService(v1::Plan* plan, absl::string_view name,
                     absl::string_view description,
                     absl::string_view service_name,
                     const std::vector<v1::ServiceState>& accept,
                     v1::OnMismatch on_mismatch,
                     absl::string_view mismatch_message) {
  v1::CheckServiceAction* check =
      AddStep(plan, name, description, /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_check_service();
  check->set_name(std::string(service_name));
  for (v1::ServiceState state : accept) check->add_accept(state);
  check->set_on_mismatch(on_mismatch);
  check->set_mismatch_message(std::string(mismatch_message));
}

std::vector<v1::ServiceState> InstalledServiceStates() {
  return {v1::SERVICE_STATE_STOPPED, v1::SERVICE_STATE_START_PENDING,
          v1::SERVICE_STATE_STOP_PENDING, v1::SERVICE_STATE_RUNNING,
          v1::SERVICE_STATE_OTHER};
}

void AddWaitService(v1::Plan* plan, absl::string_view name,
                    absl::string_view description,
                    absl::string_view service_name, v1::ServiceState state,
                    absl::string_view mismatch_message) {
  v1::WaitServiceStateAction* wait =
      AddStep(plan, name, description, /*rerun_safe=*/true)
          ->mutable_action()
          ->mutable_wait_service_state();
  wait->set_name(std::string(service_name));
  wait->set_state(state);
  SetDuration(kServiceWaitTimeout, wait->mutable_timeout());
  wait->set_mismatch_message(std::string(mismatch_message));
}

void AddCheckUrl(v1::Plan* plan, absl::string_view name,
                 absl::string_view description, absl::string_view url,
                 absl::string_view mismatch_message) {
  v1::PlannedStep* step = AddStep(plan, name, description, /*rerun_safe=*/true);
  // No connectivity now may be connectivity later.
  step->set_failure_class(v1::FAILURE_CLASS_RETRYABLE);
  v1::CheckUrlAction* check = step->mutable_action()->mutable_check_url();
  check->set_url(std::string(url));
  // The way the sensor goes (static proxy, WinHTTP, WPAD, direct): a
  // server that reaches Defender only through TelemetryProxyServer passes.
  check->set_via_configured_proxy(true);
  check->set_mismatch_message(std::string(mismatch_message));
}

void AddFetch(v1::Plan* plan, absl::string_view name,
              absl::string_view description, const ArtifactRef& ref,
              absl::string_view file_name) {
  v1::PlannedStep* step = AddStep(plan, name, description, /*rerun_safe=*/true);
  // A download that failed (network, server busy) may work later.
  step->set_failure_class(v1::FAILURE_CLASS_RETRYABLE);
  v1::FetchArtifactAction* fetch =
      step->mutable_action()->mutable_fetch_artifact();
  fetch->set_artifact_id(ref.id);
  fetch->set_file_name(std::string(file_name));
}

v1::RunProcessAction* AddRunInstallPs1(
    v1::Plan* plan, absl::string_view description,
    const std::vector<std::string>& switches) {
  v1::RunProcessAction* run =
      AddStep(plan, "run_install_ps1", description, /*rerun_safe=*/false)
          ->mutable_action()
          ->mutable_run_process();
  run->set_program(v1::PROGRAM_POWERSHELL);
  run->add_args(WorkPath(mde::kInstallScriptFileName));
  bool uninstall = false;
  for (const std::string& s : switches) {
    run->add_args(s);
    uninstall = uninstall || absl::EqualsIgnoreCase(s, "-Uninstall");
  }
  SetDuration(kInstallPs1Timeout, run->mutable_timeout());
  for (const install_ps1::ExitCodeMeaning& m : install_ps1::kExitCodes) {
    (*run->mutable_exit_code_meanings())[m.code] = std::string(m.meaning);
  }
  for (int code : install_ps1::kRetryableExitCodes) {
    run->add_retryable_exit_codes(code);
  }
  if (uninstall) {
    for (int code : install_ps1::kUninstallRebootExitCodes) {
      run->add_reboot_exit_codes(code);
    }
    for (int code : install_ps1::kUninstallRestartAfterExitCodes) {
      run->add_restart_after_exit_codes(code);
    }
  } else {
    for (int code : install_ps1::kInstallRebootExitCodes) {
      run->add_reboot_exit_codes(code);
    }
  }
  // Install.ps1 names its MSI log "<install|uninstall>-$env:COMPUTERNAME.log"
  // and keeps the previous one as "....prev.log", which the pattern skips.
  v1::FailureLog* log = run->add_failure_logs();
  log->set_path(WorkPath(uninstall ? "uninstall-*.log" : "install-*.log"));
  for (int code : install_ps1::kMsiLogExitCodes) log->add_exit_codes(code);
  // Its own trace, "InstallPS1-$env:COMPUTERNAME.<yyMMddTHHmmssfffzzz>.log"
  // (upstream Install.ps1, $Installps1LogName): evidence of any failure,
  // too long for a step message.
  run->add_failure_logs()->set_path(WorkPath("InstallPS1-*.*.log"));
  run->set_display_name(std::string(mde::kInstallScriptFileName));
  return run;
}

void AddRunCmdScript(v1::Plan* plan, absl::string_view name,
                     absl::string_view description,
                     absl::string_view script_file,
                     absl::string_view display_name) {
  v1::RunProcessAction* run =
      AddStep(plan, name, description, /*rerun_safe=*/false)
          ->mutable_action()
          ->mutable_run_process();
  run->set_program(v1::PROGRAM_CMD_SCRIPT);
  run->add_args(WorkPath(script_file));
  SetDuration(kScriptTimeout, run->mutable_timeout());
  run->set_display_name(std::string(display_name));
}

absl::StatusOr<ArtifactRef> RequireArtifact(
    const std::optional<ArtifactRef>& ref, absl::string_view field,
    absl::string_view what, absl::string_view why) {
  if (!ref.has_value() || ref->id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parameters.", field, ": ", what, " is required for ", why,
        "; upload it with `mdefleetctl artifacts upload` and pass its id"));
  }
  if (!IsArtifactId(ref->id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameters.", field, ": \"", ref->id,
                     "\" is not an artifact id (64 hex characters)"));
  }
  return *ref;
}

absl::Status AddFetchInstallScript(const PlanContext& ctx, v1::Plan* plan) {
  const std::string why =
      absl::StrCat(ReleaseName(ctx.family), " (unified agent installer)");
  absl::StatusOr<ArtifactRef> script = RequireArtifact(
      ctx.inputs.install_script, "install_script_id", "Install.ps1", why);
  if (!script.ok()) return script.status();
  AddFetch(plan, "fetch_install_ps1", "Download Install.ps1", *script,
           mde::kInstallScriptFileName);
  return absl::OkStatus();
}

absl::Status AddFetchInstaller(const PlanContext& ctx, v1::Plan* plan) {
  const std::string why =
      absl::StrCat(ReleaseName(ctx.family), " (unified agent installer)");
  absl::StatusOr<ArtifactRef> script = RequireArtifact(
      ctx.inputs.install_script, "install_script_id", "Install.ps1", why);
  if (!script.ok()) return script.status();
  absl::StatusOr<ArtifactRef> msi = RequireArtifact(
      ctx.inputs.installer_msi, "installer_msi_id", "md4ws.msi", why);
  if (!msi.ok()) return msi.status();
  AddFetch(plan, "fetch_install_ps1", "Download Install.ps1", *script,
           mde::kInstallScriptFileName);
  AddFetch(plan, "fetch_md4ws_msi",
           "Download md4ws.msi beside Install.ps1 (unrenamed)", *msi,
           mde::kInstallerMsiFileName);
  return absl::OkStatus();
}

void AppendPassiveSwitch(const PlanContext& ctx,
                         std::vector<std::string>* switches) {
  if (!ctx.facts.third_party_av().empty()) switches->push_back("-Passive");
}

}  // namespace mdefleet::plan_internal

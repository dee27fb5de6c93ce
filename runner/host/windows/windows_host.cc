#include "runner/host/windows/windows_host.h"

#include <windows.h>
// windows.h first: these need its types.
#include <knownfolders.h>
#include <shlobj.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/url_list.h"
#include "runner/host/extract_zip_command.h"
#include "runner/host/windows/defender_status.h"
#include "runner/host/windows/files.h"
#include "runner/host/windows/network.h"
#include "runner/host/windows/os_info.h"
#include "runner/host/windows/processes.h"
#include "runner/host/windows/reboot.h"
#include "runner/host/windows/registry.h"
#include "runner/host/windows/secrets.h"
#include "runner/host/windows/services.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"
#include "runner/host/windows/winhttp_proxy.h"
#include "runner/host/windows/wpad.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner::win {

absl::StatusOr<std::string> DefaultStateDirectory() {
  wchar_t* program_data = nullptr;
  const HRESULT hr =
      SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &program_data);
  if (FAILED(hr)) {
    CoTaskMemFree(program_data);
    return Win32ErrorStatus(static_cast<uint32_t>(hr),
                            "the ProgramData folder");
  }
  std::string path = WideToUtf8(program_data);
  CoTaskMemFree(program_data);
  return JoinWindowsPath(path, "mdefleet");
}

absl::StatusOr<std::unique_ptr<WindowsHost>> WindowsHost::Create(
    WindowsHostOptions options) {
  std::string state_directory = options.state_directory;
  if (state_directory.empty()) {
    ASSIGN_OR_RETURN(state_directory, DefaultStateDirectory());
  }
  state_directory = NormalizeWindowsPath(state_directory);
  RETURN_IF_ERROR(CreateProtectedDirectory(state_directory));
  return std::unique_ptr<WindowsHost>(
      new WindowsHost(std::move(options), std::move(state_directory)));
}

WindowsHost::WindowsHost(WindowsHostOptions options,
                         std::string state_directory)
    : options_(std::move(options)),
      state_directory_(std::move(state_directory)) {}

// ---- Registry ----

absl::StatusOr<std::optional<RegistryData>> WindowsHost::ReadValue(
    absl::string_view key, absl::string_view name) {
  return ReadRegistryValue(key, name);
}

absl::Status WindowsHost::WriteValue(absl::string_view key,
                                     absl::string_view name,
                                     const RegistryData& data) {
  return WriteRegistryValue(key, name, data);
}

absl::Status WindowsHost::DeleteValue(absl::string_view key,
                                      absl::string_view name) {
  return DeleteRegistryValue(key, name);
}

absl::StatusOr<bool> WindowsHost::KeyExists(absl::string_view key) {
  return RegistryKeyExists(key);
}

absl::StatusOr<std::vector<std::string>> WindowsHost::ListSubkeys(
    absl::string_view key) {
  return ListRegistrySubkeys(key);
}

absl::Status WindowsHost::DeleteKey(absl::string_view key) {
  return DeleteRegistryKey(key);
}

// ---- Services ----

absl::StatusOr<v1::ServiceState> WindowsHost::QueryService(
    absl::string_view name) {
  return QueryServiceState(name);
}

absl::StatusOr<v1::ServiceState> WindowsHost::WaitServiceState(
    absl::string_view name, v1::ServiceState state, absl::Duration timeout) {
  return WaitForServiceState(name, state, timeout,
                             options_.service_poll_interval);
}

// ---- Processes ----

absl::StatusOr<ProcessResult> WindowsHost::RunProcess(
    const ProcessRequest& request) {
  ProcessLimits limits;
  limits.max_output_bytes = options_.max_output_bytes;
  return RunProcessInJob(request, limits);
}

// ---- Files ----

absl::StatusOr<std::string> WindowsHost::ReadFile(absl::string_view path) {
  return ReadWholeFile(path);
}

absl::Status WindowsHost::WriteFile(absl::string_view path,
                                    absl::string_view content) {
  return WriteFileAtomically(path, content);
}

absl::Status WindowsHost::CreateDirectories(absl::string_view path) {
  return CreateDirectoryTree(path);
}

absl::Status WindowsHost::DeleteDirectoryContents(absl::string_view path) {
  return EmptyDirectory(path);
}

absl::Status WindowsHost::DeletePath(absl::string_view path) {
  return DeletePathTree(path);
}

absl::StatusOr<bool> WindowsHost::FileExists(absl::string_view path) {
  return PathExists(path);
}

absl::StatusOr<std::vector<std::string>> WindowsHost::ListDirectory(
    absl::string_view path) {
  return ListDirectoryNames(path);
}

absl::Status WindowsHost::ExtractZip(absl::string_view archive,
                                     absl::string_view destination) {
  ASSIGN_OR_RETURN(ProcessRequest request,
                   ExtractZipRequest(archive, destination));
  ProcessLimits limits;
  limits.max_output_bytes = options_.max_output_bytes;
  ASSIGN_OR_RETURN(ProcessResult result, RunProcessInJob(request, limits));
  if (result.timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("extracting ", archive, " did not finish in 10 minutes"));
  }
  if (result.exit_code != 0) {
    std::string why =
        result.stderr_text.empty() ? result.stdout_text : result.stderr_text;
    if (why.size() > 1024) why = why.substr(why.size() - 1024);
    return absl::InternalError(absl::StrCat("extracting ", archive, " into ",
                                            destination, " failed (exit ",
                                            result.exit_code, "): ", why));
  }
  return absl::OkStatus();
}

// ---- Network ----

absl::Status WindowsHost::CheckUrl(absl::string_view url,
                                   absl::string_view proxy) {
  UrlCheckOptions options;
  // Certificate revocation endpoints are plain HTTP (common/url_list.h).
  options.allow_http =
      options_.allow_http_for_test || IsRevocationEndpoint(url);
  options.proxy = std::string(proxy);
  options.extra_trusted_roots = options_.extra_defender_tls_roots;
  return CheckUrlReachable(url, options);
}

absl::StatusOr<WinHttpProxy> WindowsHost::GetWinHttpProxy() {
  return ReadWinHttpProxy();
}

absl::StatusOr<std::string> WindowsHost::DiscoverProxy(absl::string_view url) {
  return DiscoverProxyForUrl(url, absl::Seconds(15));
}

// ---- Defender Antivirus ----

absl::StatusOr<std::optional<DefenderStatus>> WindowsHost::GetDefenderStatus() {
  return QueryDefenderStatus();
}

// ---- Operating system ----

absl::StatusOr<OsInfo> WindowsHost::GetOsInfo() { return CollectOsInfo(); }

absl::Status WindowsHost::Reboot(absl::string_view reason,
                                 absl::Duration delay) {
  if (options_.reboot_dry_run) {
    absl::MutexLock lock(&mu_);
    reboots_.push_back({std::string(reason), delay, options_.clock->Now()});
    return absl::OkStatus();
  }
  return InitiateRestart(reason, delay);
}

std::vector<RecordedReboot> WindowsHost::RecordedReboots() const {
  absl::MutexLock lock(&mu_);
  return reboots_;
}

// ---- Secrets and state ----

absl::StatusOr<std::string> WindowsHost::ProtectSecret(
    absl::string_view plaintext) {
  return ProtectForMachine(plaintext);
}

absl::StatusOr<std::string> WindowsHost::UnprotectSecret(
    absl::string_view protected_data) {
  return UnprotectForMachine(protected_data);
}

std::string WindowsHost::StateDirectory() const { return state_directory_; }

}  // namespace mdefleet::runner::win

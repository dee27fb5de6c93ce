// WindowsHost: the Win32 implementation of runner/host/host.h, for
// mdefleet-runner on Windows Server 2012 R2 and later. Each capability lives
// in its own file beside this one (registry, services, processes, files,
// os_info, reboot, secrets, network); this class ties them to the Host
// interface and holds the few settings they need.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_WINDOWS_HOST_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_WINDOWS_HOST_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "runner/host/host.h"

namespace mdefleet::runner::win {

struct WindowsHostOptions {
  // The runner's private state directory (Windows path); empty:
  // %ProgramData%\mdefleet. Created with a DACL for SYSTEM and
  // Administrators only (files.h, kStateDirectorySddl).
  std::string state_directory;
  // Record Reboot() requests (RecordedReboots) instead of restarting the
  // machine: for a dry run of a plan, and for tests.
  bool reboot_dry_run = false;
  // How often WaitServiceState asks the service control manager.
  absl::Duration service_poll_interval = absl::Milliseconds(500);
  // Bytes of each of stdout and stderr a program run keeps (its tail).
  size_t max_output_bytes = size_t{1} << 20;
  // Let CheckUrl use plain http:// URLs, for a loopback test server; the
  // product checks https:// only.
  bool allow_http_for_test = false;
  // Roots (SHA-1, upper-case hex) CheckUrl accepts besides the public roots
  // Microsoft's endpoints use (runner/host/defender_tls_roots.h): the
  // DefenderTlsRoots setting.
  std::vector<std::string> extra_defender_tls_roots;
  // Time source for recorded reboots.
  Clock* clock = Clock::Real();
};

// A reboot requested in dry-run mode.
struct RecordedReboot {
  std::string reason;
  absl::Duration delay;
  absl::Time requested_at;
};

// Host over the real machine. Registry access is HKLM in the 64-bit view;
// programs run in a job object that a timeout kills as a whole tree; files
// are replaced atomically; secrets are DPAPI machine-scope blobs. One thread
// at a time, as host.h requires (RecordedReboots may be read from any).
class WindowsHost final : public Host {
 public:
  // Resolves and creates the state directory (with its protected DACL) and
  // returns the host. Errors: the state directory cannot be created or
  // protected.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<WindowsHost>> Create(
      WindowsHostOptions options);

  // Host:
  [[nodiscard]] absl::StatusOr<std::optional<RegistryData>> ReadValue(
      absl::string_view key, absl::string_view name) override;
  [[nodiscard]] absl::Status WriteValue(absl::string_view key,
                                        absl::string_view name,
                                        const RegistryData& data) override;
  [[nodiscard]] absl::Status DeleteValue(absl::string_view key,
                                         absl::string_view name) override;
  [[nodiscard]] absl::StatusOr<bool> KeyExists(absl::string_view key) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ListSubkeys(
      absl::string_view key) override;
  [[nodiscard]] absl::Status DeleteKey(absl::string_view key) override;
  [[nodiscard]] absl::StatusOr<v1::ServiceState> QueryService(
      absl::string_view name) override;
  [[nodiscard]] absl::StatusOr<v1::ServiceState> WaitServiceState(
      absl::string_view name, v1::ServiceState state,
      absl::Duration timeout) override;
  // cmd.exe with "/c" first runs the rest as `/d /s /c ""arg" ...""` (see
  // command_line.h); processes.h has the details.
  [[nodiscard]] absl::StatusOr<ProcessResult> RunProcess(
      const ProcessRequest& request) override;
  [[nodiscard]] absl::StatusOr<std::string> ReadFile(
      absl::string_view path) override;
  [[nodiscard]] absl::Status WriteFile(absl::string_view path,
                                       absl::string_view content) override;
  [[nodiscard]] absl::Status CreateDirectories(absl::string_view path) override;
  [[nodiscard]] absl::Status DeleteDirectoryContents(
      absl::string_view path) override;
  [[nodiscard]] absl::Status DeletePath(absl::string_view path) override;
  [[nodiscard]] absl::StatusOr<bool> FileExists(
      absl::string_view path) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ListDirectory(
      absl::string_view path) override;
  [[nodiscard]] absl::Status ExtractZip(absl::string_view archive,
                                        absl::string_view destination) override;
  [[nodiscard]] absl::Status CheckUrl(absl::string_view url,
                                      absl::string_view proxy) override;
  [[nodiscard]] absl::StatusOr<WinHttpProxy> GetWinHttpProxy() override;
  [[nodiscard]] absl::StatusOr<std::string> DiscoverProxy(
      absl::string_view url) override;
  [[nodiscard]] absl::StatusOr<std::optional<DefenderStatus>>
  GetDefenderStatus() override;
  [[nodiscard]] absl::StatusOr<OsInfo> GetOsInfo() override;
  // Restarts the machine (reboot.h), or only records the request in dry-run
  // mode.
  [[nodiscard]] absl::Status Reboot(absl::string_view reason,
                                    absl::Duration delay) override;
  [[nodiscard]] absl::StatusOr<std::string> ProtectSecret(
      absl::string_view plaintext) override;
  [[nodiscard]] absl::StatusOr<std::string> UnprotectSecret(
      absl::string_view protected_data) override;
  std::string StateDirectory() const override;

  // Reboots requested in dry-run mode, oldest first.
  std::vector<RecordedReboot> RecordedReboots() const;

 private:
  WindowsHost(WindowsHostOptions options, std::string state_directory);

  const WindowsHostOptions options_;
  const std::string state_directory_;
  mutable absl::Mutex mu_;
  std::vector<RecordedReboot> reboots_ ABSL_GUARDED_BY(mu_);
};

// %ProgramData%\mdefleet (the known folder, normally C:\ProgramData).
[[nodiscard]] absl::StatusOr<std::string> DefaultStateDirectory();

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_WINDOWS_HOST_H_

// Installing, updating, removing and controlling the runner service through
// the service control manager. Win32 only.
#ifndef MDEFLEET_RUNNER_SERVICE_WINDOWS_SERVICE_INSTALLER_H_
#define MDEFLEET_RUNNER_SERVICE_WINDOWS_SERVICE_INSTALLER_H_

#include <windows.h>
// After windows.h: the service control manager API.
#include <winsvc.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mdefleet::runner::service_win {

// The runner's service name.
inline constexpr char kRunnerServiceName[] = "mdefleet-runner";

// Everything the service control manager is told about a service.
struct ServiceDefinition {
  std::string name = kRunnerServiceName;
  std::string display_name = "mdefleet runner";
  std::string description =
      "Runs mdefleet tasks (Microsoft Defender for Endpoint onboarding, "
      "migration, offboarding, health checks) sent by the mdefleet server.";
  // Full path of the executable (UTF-8). Always quoted in the command line.
  std::string executable;
  // Arguments after the executable, e.g. {"run"}.
  std::vector<std::string> arguments = {"run"};
  // Automatic start, delayed until after the other automatic services.
  bool delayed_auto_start = true;
  // Restart after the 1st, 2nd and later failures (the last one repeats).
  std::vector<absl::Duration> restart_delays = {
      absl::Seconds(10), absl::Seconds(30), absl::Seconds(60)};
  // The failure count goes back to zero after this long without failures.
  absl::Duration failure_count_reset = absl::Hours(24);
  // Whether a stop with a non-zero exit code (not only a crash) counts as a
  // failure (SERVICE_CONFIG_FAILURE_ACTIONS_FLAG).
  bool failure_actions_on_non_crash_failures = true;
};

// What InstallService did.
struct ServiceInstallResult {
  // True when the service was created, false when an existing one was
  // brought up to date.
  bool created = false;
  // Optional settings this service control manager refused as unknown
  // (ERROR_INVALID_LEVEL), e.g. "delayed automatic start". Always empty on
  // Windows Server 2012 R2 and later; Wine lacks some.
  std::vector<std::string> unsupported;
};

// The SERVICE_FAILURE_ACTIONSW content for `definition`: one
// SC_ACTION_RESTART per restart delay, the reset period in seconds.
struct FailureActions {
  DWORD reset_period_seconds = 0;
  std::vector<SC_ACTION> actions;
};
FailureActions FailureActionsFor(const ServiceDefinition& definition);

// The command line the service control manager runs: the quoted executable
// and the arguments. InvalidArgument when the executable path contains a
// double quote.
[[nodiscard]] absl::StatusOr<std::wstring> ServiceCommandLine(
    const ServiceDefinition& definition);

// Creates service `definition.name` (own process, LocalSystem, automatic
// start, normal error control) or, when it exists, updates it to match
// `definition`; then sets the description, delayed automatic start and the
// failure actions. Idempotent. Does not start the service. Errors name the
// service and the Win32 error; PermissionDenied when not elevated;
// FailedPrecondition when the service is marked for deletion (close
// services.msc or other handles to it, or reboot).
[[nodiscard]] absl::StatusOr<ServiceInstallResult> InstallService(
    const ServiceDefinition& definition);

enum class UninstallOutcome { kRemoved, kNotInstalled };

// Stops service `name` (waiting up to `stop_timeout`) and deletes it. An
// absent service is kNotInstalled, not an error. A service already marked
// for deletion counts as removed.
[[nodiscard]] absl::StatusOr<UninstallOutcome> UninstallService(
    absl::string_view name, absl::Duration stop_timeout = absl::Seconds(60));

// A service's status as the service control manager reports it.
struct ServiceStatusSnapshot {
  DWORD state = 0;  // SERVICE_RUNNING, SERVICE_STOPPED, ...
  DWORD win32_exit_code = 0;
  DWORD service_specific_exit_code = 0;
  DWORD process_id = 0;
};

// "RUNNING", "STOPPED", "START_PENDING", ... as common/enum_names.h spells
// them; "state 7" for a state the runner never takes (paused).
std::string ServiceStateText(DWORD state);

// The status of service `name`; nullopt when it does not exist.
[[nodiscard]] absl::StatusOr<std::optional<ServiceStatusSnapshot>>
QueryServiceStatusByName(absl::string_view name);

// Starts service `name` (StartServiceW). Already running: success.
[[nodiscard]] absl::Status StartServiceByName(absl::string_view name);

// Asks service `name` to stop and waits until it is STOPPED. Absent or
// already stopped: success. DeadlineExceeded after `timeout`.
[[nodiscard]] absl::Status StopServiceAndWait(absl::string_view name,
                                              absl::Duration timeout);

// Waits until service `name` is in `state` (SERVICE_RUNNING, ...). Returns
// the last snapshot; DeadlineExceeded (naming the state seen) after
// `timeout`; NotFound when the service does not exist.
[[nodiscard]] absl::StatusOr<ServiceStatusSnapshot> WaitForServiceState(
    absl::string_view name, DWORD state, absl::Duration timeout);

}  // namespace mdefleet::runner::service_win

#endif  // MDEFLEET_RUNNER_SERVICE_WINDOWS_SERVICE_INSTALLER_H_

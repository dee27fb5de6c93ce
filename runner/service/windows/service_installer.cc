#include "runner/service/windows/service_installer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/enum_names.h"
#include "runner/host/windows/command_line.h"
#include "runner/host/windows/services.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::service_win {
namespace {

using ScHandle = win::UniqueServiceHandle;
using win::LastErrorStatus;
using win::Utf8ToWide;
using win::Win32ErrorStatus;

constexpr absl::Duration kPollInterval = absl::Milliseconds(100);

[[nodiscard]] absl::StatusOr<ScHandle> OpenManager(DWORD access) {
  ScHandle scm(::OpenSCManagerW(nullptr, nullptr, access));
  if (scm == nullptr) {
    return LastErrorStatus(
        "OpenSCManagerW (managing services needs an elevated administrator "
        "or SYSTEM)");
  }
  return scm;
}

// Opens service `name`; nullptr (and ok) when it does not exist.
[[nodiscard]] absl::StatusOr<ScHandle> OpenServiceOrNull(SC_HANDLE scm,
                                                         absl::string_view name,
                                                         DWORD access) {
  ScHandle service(::OpenServiceW(scm, Utf8ToWide(name).c_str(), access));
  if (service == nullptr) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_SERVICE_DOES_NOT_EXIST) return ScHandle();
    return Win32ErrorStatus(error, absl::StrCat("OpenServiceW ", name));
  }
  return service;
}

[[nodiscard]] absl::StatusOr<ServiceStatusSnapshot> QueryStatus(
    SC_HANDLE service, absl::string_view name) {
  SERVICE_STATUS_PROCESS status{};
  DWORD needed = 0;
  if (!::QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO,
                              reinterpret_cast<BYTE*>(&status), sizeof(status),
                              &needed)) {
    return LastErrorStatus(absl::StrCat("QueryServiceStatusEx ", name));
  }
  ServiceStatusSnapshot snapshot;
  snapshot.state = status.dwCurrentState;
  snapshot.win32_exit_code = status.dwWin32ExitCode;
  snapshot.service_specific_exit_code = status.dwServiceSpecificExitCode;
  snapshot.process_id = status.dwProcessId;
  return snapshot;
}

[[nodiscard]] absl::StatusOr<ServiceStatusSnapshot> WaitForState(
    SC_HANDLE service, absl::string_view name, DWORD state,
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    auto snapshot = QueryStatus(service, name);
    if (!snapshot.ok()) return snapshot.status();
    if (snapshot->state == state) return snapshot;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "service ", name, " is ", ServiceStateText(snapshot->state), ", not ",
          ServiceStateText(state), ", after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(kPollInterval);
  }
}

// ChangeServiceConfig2W for a setting that older or partial service control
// managers may not know: ERROR_INVALID_LEVEL is recorded as unsupported.
[[nodiscard]] absl::Status SetOptionalConfig(SC_HANDLE service,
                                             absl::string_view name,
                                             DWORD level, void* info,
                                             absl::string_view what,
                                             ServiceInstallResult& result) {
  if (::ChangeServiceConfig2W(service, level, info)) return absl::OkStatus();
  const DWORD error = ::GetLastError();
  if (error == ERROR_INVALID_LEVEL) {
    result.unsupported.push_back(std::string(what));
    return absl::OkStatus();
  }
  return Win32ErrorStatus(
      error, absl::StrCat("ChangeServiceConfig2W (", what, ") ", name));
}

DWORD DelayMilliseconds(absl::Duration d) {
  return static_cast<DWORD>(absl::ToInt64Milliseconds(d));
}

}  // namespace

FailureActions FailureActionsFor(const ServiceDefinition& definition) {
  FailureActions out;
  out.reset_period_seconds =
      static_cast<DWORD>(absl::ToInt64Seconds(definition.failure_count_reset));
  for (absl::Duration delay : definition.restart_delays) {
    SC_ACTION action{};
    action.Type = SC_ACTION_RESTART;
    action.Delay = DelayMilliseconds(delay);
    out.actions.push_back(action);
  }
  return out;
}

absl::StatusOr<std::wstring> ServiceCommandLine(
    const ServiceDefinition& definition) {
  std::vector<std::wstring> args;
  for (const std::string& arg : definition.arguments) {
    args.push_back(Utf8ToWide(arg));
  }
  return win::BuildCommandLine(Utf8ToWide(definition.executable), args);
}

std::string ServiceStateText(DWORD state) {
  const v1::ServiceState known = runner::win::ServiceStateFromWin32(state);
  // Paused states (the runner accepts no pause) and anything newer: the SCM's
  // number.
  if (known == v1::SERVICE_STATE_OTHER) return absl::StrCat("state ", state);
  return ServiceStateName(known);
}

absl::StatusOr<ServiceInstallResult> InstallService(
    const ServiceDefinition& definition) {
  if (definition.name.empty() || definition.executable.empty()) {
    return absl::InvalidArgumentError(
        "InstallService: the service name and the executable are required");
  }
  const absl::string_view name = definition.name;
  auto scm = OpenManager(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE);
  if (!scm.ok()) return scm.status();

  const std::wstring wname = Utf8ToWide(definition.name);
  const std::wstring wdisplay = Utf8ToWide(definition.display_name);
  auto command_line_or = ServiceCommandLine(definition);
  if (!command_line_or.ok()) return command_line_or.status();
  const std::wstring command_line = *std::move(command_line_or);
  // SERVICE_START: the restart failure action needs it on this handle.
  constexpr DWORD kAccess = SERVICE_CHANGE_CONFIG | SERVICE_QUERY_CONFIG |
                            SERVICE_QUERY_STATUS | SERVICE_START;
  ServiceInstallResult result;
  ScHandle service(::CreateServiceW(
      scm->get(), wname.c_str(), wdisplay.c_str(), kAccess,
      SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL,
      command_line.c_str(), /*lpLoadOrderGroup=*/nullptr, /*lpdwTagId=*/nullptr,
      /*lpDependencies=*/nullptr,
      /*lpServiceStartName=*/nullptr /*LocalSystem*/,
      /*lpPassword=*/nullptr));
  if (service != nullptr) {
    result.created = true;
  } else {
    const DWORD error = ::GetLastError();
    if (error == ERROR_SERVICE_MARKED_FOR_DELETE) {
      return absl::FailedPreconditionError(absl::StrCat(
          "CreateServiceW ", name,
          ": ERROR_SERVICE_MARKED_FOR_DELETE: the service is being deleted; "
          "close the Services console and anything else holding it open, or "
          "reboot, then install again"));
    }
    if (error != ERROR_SERVICE_EXISTS) {
      return Win32ErrorStatus(error, absl::StrCat("CreateServiceW ", name));
    }
    auto existing = OpenServiceOrNull(scm->get(), name, kAccess);
    if (!existing.ok()) return existing.status();
    if (*existing == nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "service ", name, " vanished while being updated; install again"));
    }
    service = *std::move(existing);
    if (!::ChangeServiceConfigW(
            service.get(), SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
            SERVICE_ERROR_NORMAL, command_line.c_str(),
            /*lpLoadOrderGroup=*/nullptr, /*lpdwTagId=*/nullptr,
            /*lpDependencies=*/nullptr, L"LocalSystem", L"",
            wdisplay.c_str())) {
      const DWORD change_error = ::GetLastError();
      if (change_error == ERROR_SERVICE_MARKED_FOR_DELETE) {
        return absl::FailedPreconditionError(absl::StrCat(
            "ChangeServiceConfigW ", name,
            ": ERROR_SERVICE_MARKED_FOR_DELETE: the service is being deleted; "
            "close the Services console and anything else holding it open, "
            "or reboot, then install again"));
      }
      return Win32ErrorStatus(change_error,
                              absl::StrCat("ChangeServiceConfigW ", name));
    }
  }

  std::wstring description = Utf8ToWide(definition.description);
  SERVICE_DESCRIPTIONW description_info{};
  description_info.lpDescription = description.data();
  if (!::ChangeServiceConfig2W(service.get(), SERVICE_CONFIG_DESCRIPTION,
                               &description_info)) {
    return LastErrorStatus(
        absl::StrCat("ChangeServiceConfig2W (description) ", name));
  }

  SERVICE_DELAYED_AUTO_START_INFO delayed{};
  delayed.fDelayedAutostart = definition.delayed_auto_start ? TRUE : FALSE;
  if (absl::Status s = SetOptionalConfig(
          service.get(), name, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed,
          "delayed automatic start", result);
      !s.ok()) {
    return s;
  }

  FailureActions actions = FailureActionsFor(definition);
  SERVICE_FAILURE_ACTIONSW failure{};
  failure.dwResetPeriod = actions.reset_period_seconds;
  failure.lpRebootMsg = nullptr;  // unchanged
  failure.lpCommand = nullptr;    // unchanged
  failure.cActions = static_cast<DWORD>(actions.actions.size());
  failure.lpsaActions =
      actions.actions.empty() ? nullptr : actions.actions.data();
  if (absl::Status s =
          SetOptionalConfig(service.get(), name, SERVICE_CONFIG_FAILURE_ACTIONS,
                            &failure, "restart on failure", result);
      !s.ok()) {
    return s;
  }

  SERVICE_FAILURE_ACTIONS_FLAG flag{};
  flag.fFailureActionsOnNonCrashFailures =
      definition.failure_actions_on_non_crash_failures ? TRUE : FALSE;
  if (absl::Status s = SetOptionalConfig(
          service.get(), name, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag,
          "restart after a stop with an error exit code", result);
      !s.ok()) {
    return s;
  }
  return result;
}

absl::StatusOr<UninstallOutcome> UninstallService(absl::string_view name,
                                                  absl::Duration stop_timeout) {
  auto scm = OpenManager(SC_MANAGER_CONNECT);
  if (!scm.ok()) return scm.status();
  auto service = OpenServiceOrNull(
      scm->get(), name, DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS);
  if (!service.ok()) return service.status();
  if (*service == nullptr) return UninstallOutcome::kNotInstalled;

  auto status = QueryStatus(service->get(), name);
  if (!status.ok()) return status.status();
  absl::Status stopped = absl::OkStatus();
  if (status->state != SERVICE_STOPPED) {
    SERVICE_STATUS ignored{};
    if (!::ControlService(service->get(), SERVICE_CONTROL_STOP, &ignored)) {
      const DWORD error = ::GetLastError();
      if (error != ERROR_SERVICE_NOT_ACTIVE &&
          error != ERROR_SERVICE_CANNOT_ACCEPT_CTRL) {
        return Win32ErrorStatus(error,
                                absl::StrCat("ControlService (stop) ", name));
      }
    }
    stopped = WaitForState(service->get(), name, SERVICE_STOPPED, stop_timeout)
                  .status();
  }
  if (!::DeleteService(service->get())) {
    const DWORD error = ::GetLastError();
    if (error != ERROR_SERVICE_MARKED_FOR_DELETE) {
      return Win32ErrorStatus(error, absl::StrCat("DeleteService ", name));
    }
  }
  if (!stopped.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(
        stopped.message(),
        "; it is marked for deletion and disappears once it stops"));
  }
  return UninstallOutcome::kRemoved;
}

absl::StatusOr<std::optional<ServiceStatusSnapshot>> QueryServiceStatusByName(
    absl::string_view name) {
  auto scm = OpenManager(SC_MANAGER_CONNECT);
  if (!scm.ok()) return scm.status();
  auto service = OpenServiceOrNull(scm->get(), name, SERVICE_QUERY_STATUS);
  if (!service.ok()) return service.status();
  if (*service == nullptr) return std::optional<ServiceStatusSnapshot>();
  auto status = QueryStatus(service->get(), name);
  if (!status.ok()) return status.status();
  return std::optional<ServiceStatusSnapshot>(*status);
}

absl::Status StartServiceByName(absl::string_view name) {
  auto scm = OpenManager(SC_MANAGER_CONNECT);
  if (!scm.ok()) return scm.status();
  auto service = OpenServiceOrNull(scm->get(), name, SERVICE_START);
  if (!service.ok()) return service.status();
  if (*service == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("StartServiceW ", name,
                     ": ERROR_SERVICE_DOES_NOT_EXIST: no such service"));
  }
  if (!::StartServiceW(service->get(), 0, nullptr)) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_SERVICE_ALREADY_RUNNING) return absl::OkStatus();
    return Win32ErrorStatus(error, absl::StrCat("StartServiceW ", name));
  }
  return absl::OkStatus();
}

absl::Status StopServiceAndWait(absl::string_view name,
                                absl::Duration timeout) {
  auto scm = OpenManager(SC_MANAGER_CONNECT);
  if (!scm.ok()) return scm.status();
  auto service =
      OpenServiceOrNull(scm->get(), name, SERVICE_STOP | SERVICE_QUERY_STATUS);
  if (!service.ok()) return service.status();
  if (*service == nullptr) return absl::OkStatus();
  SERVICE_STATUS ignored{};
  if (!::ControlService(service->get(), SERVICE_CONTROL_STOP, &ignored)) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_SERVICE_NOT_ACTIVE) return absl::OkStatus();
    if (error != ERROR_SERVICE_CANNOT_ACCEPT_CTRL) {
      return Win32ErrorStatus(error,
                              absl::StrCat("ControlService (stop) ", name));
    }
  }
  return WaitForState(service->get(), name, SERVICE_STOPPED, timeout).status();
}

absl::StatusOr<ServiceStatusSnapshot> WaitForServiceState(
    absl::string_view name, DWORD state, absl::Duration timeout) {
  auto scm = OpenManager(SC_MANAGER_CONNECT);
  if (!scm.ok()) return scm.status();
  auto service = OpenServiceOrNull(scm->get(), name, SERVICE_QUERY_STATUS);
  if (!service.ok()) return service.status();
  if (*service == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("service ", name, " does not exist"));
  }
  return WaitForState(service->get(), name, state, timeout);
}

}  // namespace mdefleet::runner::service_win

#include "runner/host/windows/services.h"

#include <windows.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/enum_names.h"
#include "common/status_macros.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::win {
namespace {

[[nodiscard]] absl::Status ValidateServiceName(absl::string_view name) {
  // The SCM forbids slashes in service names; an empty name would open the
  // wrong thing.
  if (name.empty() || name.size() > 256 ||
      name.find_first_of("/\\") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" is not a valid service name"));
  }
  return CheckNoNul(name, "service name");
}

}  // namespace

v1::ServiceState ServiceStateFromWin32(uint32_t current_state) {
  switch (current_state) {
    case SERVICE_STOPPED:
      return v1::SERVICE_STATE_STOPPED;
    case SERVICE_START_PENDING:
      return v1::SERVICE_STATE_START_PENDING;
    case SERVICE_STOP_PENDING:
      return v1::SERVICE_STATE_STOP_PENDING;
    case SERVICE_RUNNING:
      return v1::SERVICE_STATE_RUNNING;
    default:  // SERVICE_PAUSED, SERVICE_PAUSE_PENDING, SERVICE_CONTINUE_PENDING
      return v1::SERVICE_STATE_OTHER;
  }
}

absl::StatusOr<v1::ServiceState> QueryServiceState(absl::string_view name) {
  RETURN_IF_ERROR(ValidateServiceName(name));
  const std::string what = absl::StrCat("service ", name);
  UniqueServiceHandle scm(
      OpenSCManagerW(nullptr, SERVICES_ACTIVE_DATABASEW, SC_MANAGER_CONNECT));
  if (!scm) return LastErrorStatus("service control manager");
  UniqueServiceHandle service(
      OpenServiceW(scm.get(), Utf8ToWide(name).c_str(), SERVICE_QUERY_STATUS));
  if (!service) {
    const DWORD error = GetLastError();
    if (error == ERROR_SERVICE_DOES_NOT_EXIST) {
      return v1::SERVICE_STATE_ABSENT;
    }
    return Win32ErrorStatus(error, what);
  }
  SERVICE_STATUS_PROCESS status = {};
  DWORD needed = 0;
  if (!QueryServiceStatusEx(service.get(), SC_STATUS_PROCESS_INFO,
                            reinterpret_cast<BYTE*>(&status), sizeof(status),
                            &needed)) {
    return LastErrorStatus(what);
  }
  return ServiceStateFromWin32(status.dwCurrentState);
}

absl::StatusOr<v1::ServiceState> WaitForServiceState(
    absl::string_view name, v1::ServiceState state, absl::Duration timeout,
    absl::Duration poll_interval) {
  using SteadyClock = std::chrono::steady_clock;
  const auto start = SteadyClock::now();
  const auto limit =
      absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration()));
  const absl::Duration interval =
      std::max(poll_interval, absl::Milliseconds(1));
  for (;;) {
    ASSIGN_OR_RETURN(v1::ServiceState now, QueryServiceState(name));
    if (now == state) return now;
    const auto elapsed = SteadyClock::now() - start;
    if (elapsed >= limit) {
      return absl::DeadlineExceededError(
          absl::StrCat("service ", name, " is ", ServiceStateName(now),
                       ", not ", ServiceStateName(state), " (waited ",
                       absl::FormatDuration(timeout), ")"));
    }
    absl::SleepFor(std::min(interval, absl::FromChrono(limit - elapsed)));
  }
}

}  // namespace mdefleet::runner::win

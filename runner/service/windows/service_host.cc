#include "runner/service/windows/service_host.h"

#include <atomic>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/enum_names.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::service_win {
namespace {

using win::LastErrorStatus;
using win::Utf8ToWide;
using win::Win32ErrorStatus;

DWORD ToMilliseconds(absl::Duration d) {
  const int64_t ms = absl::ToInt64Milliseconds(d);
  return ms <= 0 ? 0 : static_cast<DWORD>(ms);
}

// What the dispatcher's callbacks (which take no context of ours, or only a
// void*) need. Allocated once and never freed: once the service reports
// STOPPED, StartServiceCtrlDispatcherW may return (and RunAsService with it)
// while ServiceMain's thread is still unwinding.
struct ServiceContext {
  std::wstring name;
  std::string name_utf8;
  ServiceBody* body = nullptr;
  ServiceLifecycleOptions options;
  SERVICE_STATUS_HANDLE status_handle = nullptr;

  // Held by the control handler while it calls into the lifecycle.
  absl::Mutex mu;
  ServiceLifecycle* lifecycle ABSL_GUARDED_BY(mu) = nullptr;
  // A leaf lock (the reporter takes it under the lifecycle's lock, so it
  // cannot be `mu`, which is taken before the lifecycle's).
  absl::Mutex result_mu;
  // Set before STOPPED is reported, so it is final when the dispatcher
  // returns.
  absl::Status result ABSL_GUARDED_BY(result_mu) =
      absl::InternalError("the service main never ran");
};

// The one service of this process, for ServiceMain (which gets no context).
std::atomic<ServiceContext*> g_service{nullptr};
std::atomic<bool> g_service_used{false};

void Log(const ServiceLifecycleOptions& options, absl::string_view line) {
  if (options.log) options.log(line);
}

DWORD WINAPI ServiceControlHandler(DWORD control, DWORD /*event_type*/,
                                   LPVOID /*event_data*/, LPVOID context) {
  auto* ctx = static_cast<ServiceContext*>(context);
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN: {
      absl::MutexLock lock(&ctx->mu);
      if (ctx->lifecycle != nullptr) {
        ctx->lifecycle->RequestStop(
            control == SERVICE_CONTROL_STOP
                ? "stop requested by the service control manager"
                : "the system is shutting down");
      }
      return NO_ERROR;
    }
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WINAPI ServiceMain(DWORD /*argc*/, LPWSTR* /*argv*/) {
  ServiceContext* ctx = g_service.load();
  if (ctx == nullptr) return;
  ctx->status_handle = ::RegisterServiceCtrlHandlerExW(
      ctx->name.c_str(), &ServiceControlHandler, ctx);
  if (ctx->status_handle == nullptr) {
    absl::Status error = LastErrorStatus(
        absl::StrCat("RegisterServiceCtrlHandlerExW ", ctx->name_utf8));
    Log(ctx->options, error.message());
    absl::MutexLock lock(&ctx->result_mu);
    ctx->result = std::move(error);
    return;
  }
  ServiceLifecycle lifecycle(
      *ctx->body,
      [ctx](const ServiceStatusReport& report) {
        if (report.state == v1::SERVICE_STATE_STOPPED) {
          absl::MutexLock lock(&ctx->result_mu);
          ctx->result = report.exit_status;
        }
        SERVICE_STATUS status = ToServiceStatus(report);
        if (!::SetServiceStatus(ctx->status_handle, &status)) {
          Log(ctx->options,
              LastErrorStatus(absl::StrCat("SetServiceStatus ",
                                           ServiceStateName(report.state)))
                  .message());
        }
      },
      ctx->options);
  {
    absl::MutexLock lock(&ctx->mu);
    ctx->lifecycle = &lifecycle;
  }
  (void)lifecycle.Execute();  // the reporter recorded the final status
  absl::MutexLock lock(&ctx->mu);
  ctx->lifecycle = nullptr;
}

// ---- Console mode ----

absl::Mutex g_console_mu(absl::kConstInit);
ServiceLifecycle* g_console_lifecycle ABSL_GUARDED_BY(g_console_mu) = nullptr;
// Set when the console run has finished (never closed: a handler may still
// be waiting on it while RunInConsole returns).
HANDLE ConsoleDoneEvent() {
  static HANDLE event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  return event;
}

const char* ConsoleEventName(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
      return "Ctrl+C";
    case CTRL_BREAK_EVENT:
      return "Ctrl+Break";
    case CTRL_CLOSE_EVENT:
      return "console closed";
    case CTRL_LOGOFF_EVENT:
      return "user logoff";
    case CTRL_SHUTDOWN_EVENT:
      return "system shutdown";
    default:
      return "console event";
  }
}

BOOL WINAPI ConsoleHandler(DWORD event) {
  {
    absl::MutexLock lock(&g_console_mu);
    if (g_console_lifecycle == nullptr) return FALSE;
    g_console_lifecycle->RequestStop(ConsoleEventName(event));
  }
  if (event == CTRL_CLOSE_EVENT || event == CTRL_LOGOFF_EVENT ||
      event == CTRL_SHUTDOWN_EVENT) {
    // Windows ends the process when this handler returns: give the runner
    // a few seconds to stop between steps first.
    ::WaitForSingleObject(ConsoleDoneEvent(), 4500);
  }
  return TRUE;
}

}  // namespace

SERVICE_STATUS ToServiceStatus(const ServiceStatusReport& report) {
  SERVICE_STATUS status{};
  status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  switch (report.state) {
    case v1::SERVICE_STATE_START_PENDING:
      status.dwCurrentState = SERVICE_START_PENDING;
      break;
    case v1::SERVICE_STATE_RUNNING:
      status.dwCurrentState = SERVICE_RUNNING;
      break;
    case v1::SERVICE_STATE_STOP_PENDING:
      status.dwCurrentState = SERVICE_STOP_PENDING;
      break;
    default:  // STOPPED: the lifecycle reports no other state
      status.dwCurrentState = SERVICE_STOPPED;
      break;
  }
  status.dwControlsAccepted =
      report.accepts_stop ? (SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN) : 0;
  status.dwWin32ExitCode = NO_ERROR;
  status.dwServiceSpecificExitCode = 0;
  if (report.state == v1::SERVICE_STATE_STOPPED && !report.exit_status.ok()) {
    status.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
    status.dwServiceSpecificExitCode = ServiceExitCode(report.exit_status);
  }
  status.dwCheckPoint = report.checkpoint;
  status.dwWaitHint = ToMilliseconds(report.wait_hint);
  return status;
}

absl::Status RunAsService(const std::string& service_name, ServiceBody& body,
                          ServiceLifecycleOptions options) {
  if (g_service_used.exchange(true)) {
    return absl::FailedPreconditionError(
        "RunAsService: a process can host the service only once");
  }
  auto* ctx = new ServiceContext;  // never freed, see ServiceContext
  ctx->name = Utf8ToWide(service_name);
  ctx->name_utf8 = service_name;
  ctx->body = &body;
  ctx->options = std::move(options);
  g_service.store(ctx);
  SERVICE_TABLE_ENTRYW table[] = {{ctx->name.data(), &ServiceMain},
                                  {nullptr, nullptr}};
  const BOOL dispatched = ::StartServiceCtrlDispatcherW(table);
  const DWORD error = dispatched ? ERROR_SUCCESS : ::GetLastError();
  if (!dispatched) {
    if (error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      return absl::FailedPreconditionError(absl::StrCat(
          "StartServiceCtrlDispatcherW ", service_name,
          ": ERROR_FAILED_SERVICE_CONTROLLER_CONNECT: this process was not "
          "started by the service control manager (install the service and "
          "start it with sc.exe start, or use `console` to run in the "
          "foreground)"));
    }
    return Win32ErrorStatus(
        error, absl::StrCat("StartServiceCtrlDispatcherW ", service_name));
  }
  absl::MutexLock lock(&ctx->result_mu);
  return ctx->result;
}

absl::Status RunInConsole(ServiceBody& body, ServiceLifecycleOptions options) {
  ServiceLifecycle lifecycle(
      body, [](const ServiceStatusReport&) {}, std::move(options));
  {
    absl::MutexLock lock(&g_console_mu);
    if (g_console_lifecycle != nullptr) {
      return absl::FailedPreconditionError(
          "RunInConsole: already running in this process");
    }
    g_console_lifecycle = &lifecycle;
  }
  ::ResetEvent(ConsoleDoneEvent());
  if (!::SetConsoleCtrlHandler(&ConsoleHandler, TRUE)) {
    absl::Status error = LastErrorStatus("SetConsoleCtrlHandler");
    absl::MutexLock lock(&g_console_mu);
    g_console_lifecycle = nullptr;
    return error;
  }
  absl::Status result = lifecycle.Execute();
  ::SetConsoleCtrlHandler(&ConsoleHandler, FALSE);
  {
    absl::MutexLock lock(&g_console_mu);
    g_console_lifecycle = nullptr;
  }
  ::SetEvent(ConsoleDoneEvent());
  return result;
}

}  // namespace mdefleet::runner::service_win

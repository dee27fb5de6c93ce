// The service control manager glue: runs a ServiceBody as a Windows service
// (`mdefleet-runner.exe run`) or in the foreground (`console`). All of the
// behaviour (states, checkpoints, stop handling) is in ServiceLifecycle; this
// maps it to SetServiceStatus, control codes and console events. Win32 only.
#ifndef MDEFLEET_RUNNER_SERVICE_WINDOWS_SERVICE_HOST_H_
#define MDEFLEET_RUNNER_SERVICE_WINDOWS_SERVICE_HOST_H_

#include <windows.h>
// After windows.h: the service control manager API.
#include <winsvc.h>

#include <string>

#include "absl/status/status.h"
#include "runner/service/service_body.h"
#include "runner/service/service_lifecycle.h"

namespace mdefleet::runner::service_win {

// The SERVICE_STATUS to announce for `report` (own-process service; accepts
// stop and shutdown only while RUNNING; an error exit is
// ERROR_SERVICE_SPECIFIC_ERROR with ServiceExitCode() as the specific code).
SERVICE_STATUS ToServiceStatus(const ServiceStatusReport& report);

// Hands the process to the service control manager
// (StartServiceCtrlDispatcherW) and runs `body` as service `service_name`
// until it stops: START_PENDING, Prepare, RUNNING, Run; SERVICE_CONTROL_STOP
// and SERVICE_CONTROL_SHUTDOWN lead to STOP_PENDING (with a wait hint and
// growing checkpoints), a stop request to the body, and STOPPED with the exit
// code. Blocks; at most one call per process. Returns the body's final
// status; FailedPrecondition when the process was not started by the service
// control manager (ERROR_FAILED_SERVICE_CONTROLLER_CONNECT).
[[nodiscard]] absl::Status RunAsService(const std::string& service_name,
                                        ServiceBody& body,
                                        ServiceLifecycleOptions options = {});

// Runs `body` in the foreground until Ctrl+C, Ctrl+Break, closing the
// console window, logoff or shutdown, which request a stop. Returns the
// body's final status. At most one call at a time per process.
[[nodiscard]] absl::Status RunInConsole(ServiceBody& body,
                                        ServiceLifecycleOptions options = {});

}  // namespace mdefleet::runner::service_win

#endif  // MDEFLEET_RUNNER_SERVICE_WINDOWS_SERVICE_HOST_H_

// netsh.exe on a simulated Windows Server: the `winhttp` context that
// configure_proxy uses (`set proxy`, `reset proxy`, `show proxy`), with the
// real command's output text and exit codes.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_NETSH_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_NETSH_H_

#include "absl/strings/string_view.h"
#include "runner/host/host.h"
#include "runner/host/sim/sim_machine.h"

namespace mdefleet::runner::sim {

inline constexpr absl::string_view kNetshPath =
    "C:\\Windows\\System32\\netsh.exe";

// Runs `netsh <args>` against the machine's WinHTTP proxy. `set proxy`
// accepts "[proxy-server=]<proxy> [bypass-list=]<hosts>"; anything else
// prints netsh's "command was not found" / syntax errors and exits 1.
ProcessResult RunSimNetsh(SimMachine& machine, const ProcessRequest& request);

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_NETSH_H_

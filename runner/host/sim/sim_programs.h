// The programs a simulated Windows Server can run, modelled from their
// documented behaviour: cmd.exe running the Group Policy onboarding and
// offboarding scripts, and PowerShell running Install.ps1
// (mdefordownlevelserver) with its switches and exit codes.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_PROGRAMS_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_PROGRAMS_H_

#include "absl/status/statusor.h"
#include "runner/host/host.h"
#include "runner/host/sim/sim_files.h"
#include "runner/host/sim/sim_machine.h"

namespace mdefleet::runner::sim {

inline constexpr absl::string_view kCmdPath = "C:\\Windows\\System32\\cmd.exe";
inline constexpr absl::string_view kPowerShellPath =
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.exe";

// How long a program takes, for the simulated delay.
enum class ProgramWeight { kInstaller, kScript, kQuick };
ProgramWeight WeightOf(const ProcessRequest& request);

// Runs `request` against the machine and its files; the machine changes as
// the real program would change a server. NotFound for a program the
// simulated server does not have.
[[nodiscard]] absl::StatusOr<ProcessResult> RunSimProgram(
    SimMachine& machine, const SimFiles& files, const ProcessRequest& request);

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_PROGRAMS_H_

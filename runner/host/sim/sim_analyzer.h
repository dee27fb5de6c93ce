// Microsoft's MDEClientAnalyzer on the simulated server (collect_diagnostics):
// `cmd.exe /c <folder>\MDEClientAnalyzer.cmd -r` checks the machine (Sense,
// the sensor's connectivity; the profile's caerror/cawarning add findings)
// and writes <folder>\MDEClientAnalyzerResult.zip holding
// MDEClientAnalyzer.htm and SystemInfoLogs\MDEClientAnalyzer.xml, as
// run-analyzer-windows.md lists the result package (common/client_analyzer.h).
// The findings' ids and check names are the simulator's own: Microsoft does
// not publish the analyzer's catalogue.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_ANALYZER_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_ANALYZER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runner/host/host.h"
#include "runner/host/sim/sim_files.h"
#include "runner/host/sim/sim_machine.h"

namespace mdefleet::runner::sim {

// Whether `script` is MDEClientAnalyzer.cmd (by its base name, any case).
bool IsClientAnalyzerScript(absl::string_view script);

// Runs the analyzer at `script` with `switches` (everything after the
// script). Without -r it exits 1 saying it waits for an answer at its
// prompt (data-collection-analyzer.md); without MDEClientAnalyzer.ps1
// beside it, 1 as well.
[[nodiscard]] absl::StatusOr<ProcessResult> RunSimAnalyzer(
    const SimMachine& machine, const SimFiles& files, absl::string_view script,
    const std::vector<std::string>& switches);

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_ANALYZER_H_

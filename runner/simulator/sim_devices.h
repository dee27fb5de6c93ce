// The simulated Windows Servers mdefleet-sim-runner runs, each with its
// runner agent: one from --simulate, or a fleet from --simulate-fleet.
#ifndef MDEFLEET_RUNNER_SIMULATOR_SIM_DEVICES_H_
#define MDEFLEET_RUNNER_SIMULATOR_SIM_DEVICES_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "runner/client/runner_agent.h"
#include "runner/host/sim/simulated_host.h"
#include "runner/simulator/sim_runner_flags.h"

namespace mdefleet::runner {

// One simulated server and its agent.
struct SimDevice {
  std::unique_ptr<sim::SimulatedHost> host;
  std::unique_ptr<RunnerAgent> agent;
};

// The servers the flags ask for, their state under setup.state_dir (the
// state directory itself for --simulate, a directory per host name for a
// fleet). Errors: a bad --simulate profile (sim_profile.h), a host that
// cannot be made.
[[nodiscard]] absl::StatusOr<std::vector<SimDevice>> MakeSimDevices(
    const SimRunnerFlags& flags, const SimRunnerSetup& setup);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_SIMULATOR_SIM_DEVICES_H_

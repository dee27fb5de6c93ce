// The flags of mdefleet-sim-runner (main.cc), and what they say once
// checked: the files they name read, the state directory made.
#ifndef MDEFLEET_RUNNER_SIMULATOR_SIM_RUNNER_FLAGS_H_
#define MDEFLEET_RUNNER_SIMULATOR_SIM_RUNNER_FLAGS_H_

#include <map>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mdefleet::runner {

struct SimRunnerFlags {
  std::string server;
  std::string ca_cert;
  std::string enrollment_secret;
  std::string enrollment_secret_file;
  std::string state_dir;
  std::string labels;
  std::string poll_wait = "30s";
  std::string simulate;
  int simulate_fleet = 0;
  int fleet_seed = 0;
  int fleet_first = 0;
  bool fleet_onboarded = false;
  int sim_delay_ms = 800;
};

// Declares every flag on `app`, bound to `flags` (which must outlive the
// parse), with the checks CLI11 can make itself (required, ranges, the
// pairs that exclude each other).
void AddSimRunnerFlags(CLI::App& app, SimRunnerFlags& flags);

// What the agents of every simulated server share.
struct SimRunnerSetup {
  absl::Duration poll_wait;
  std::map<std::string, std::string> labels;  // --labels
  std::string enrollment_secret;              // from the flag or its file
  std::string ca_cert_pem;  // "" without --ca-cert (loopback only)
  std::string state_dir;    // absolute; exists
};

// The checks CLI11 cannot make (exactly one enrollment secret, a
// simulation, the poll wait, the labels, a loopback server without
// --ca-cert), the secret and CA files read, and the state directory
// created. The error's message is what the launcher prints.
[[nodiscard]] absl::StatusOr<SimRunnerSetup> CheckSimRunnerFlags(
    const SimRunnerFlags& flags);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_SIMULATOR_SIM_RUNNER_FLAGS_H_

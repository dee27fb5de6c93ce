// `mdefleetctl fleet summary`: the fleet's Defender for Endpoint state at a
// glance and what needs doing, each need with the job that provides it.
#ifndef MDEFLEET_SERVER_CLI_FLEET_CMD_H_
#define MDEFLEET_SERVER_CLI_FLEET_CMD_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/cli/command.h"

namespace mdefleet::cli {

// The summary as tables: devices by OS family x MDE state, then the needs
// with devices (need, count, job, advice).
std::string RenderFleetSummary(const v1::FleetSummary& summary);

// --offline-for: empty means the server's default (7d).
[[nodiscard]] absl::Status RunFleetSummary(CommandEnv& env,
                                           const std::string& offline_for);

// Adds the `fleet` command group; the chosen command lands in `selected`.
void AddFleetCommands(CLI::App& app, Command* selected);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_FLEET_CMD_H_

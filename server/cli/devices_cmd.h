// `mdefleetctl devices list|get|revoke|reset-identity`: the inventory.
#ifndef MDEFLEET_SERVER_CLI_DEVICES_CMD_H_
#define MDEFLEET_SERVER_CLI_DEVICES_CMD_H_

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/cli/command.h"

namespace mdefleet::cli {

struct DevicesListOptions {
  std::string os;           // --os FAMILY
  std::string label;        // --label k=v
  std::string mde_state;    // --mde-state STATE
  std::string seen_within;  // --seen-within DUR
  std::string unseen_for;   // --unseen-for DUR
  std::string hostname;     // --hostname GLOB
  std::string needs;        // --needs JOB_KIND or NEED
  std::string offline_for;  // --offline-for DUR (with --needs api_offboard)
  uint32_t limit = 0;       // --limit N, 0 = all
};

// The request for the first page (usage errors name the flag).
[[nodiscard]] absl::StatusOr<v1::ListDevicesRequest> BuildListDevicesRequest(
    const DevicesListOptions& options);

// Lists devices, following pages until `limit` devices or the last page.
// -o json prints one ListDevicesResponse holding every device fetched.
[[nodiscard]] absl::Status RunDevicesList(CommandEnv& env,
                                          const DevicesListOptions& options);

// Shows one device and its facts.
[[nodiscard]] absl::Status RunDevicesGet(CommandEnv& env,
                                         const std::string& device_id);

// `devices reset-identity ID --reason TEXT` (admin): the next enrollment
// reporting the device's host identity takes the device over. A usage error
// (exit 2) for an empty ID or reason, before connecting.
[[nodiscard]] absl::Status RunDevicesResetIdentity(CommandEnv& env,
                                                   const std::string& device_id,
                                                   const std::string& reason);

// Adds the `devices` command group; the chosen command lands in `selected`.
void AddDevicesCommands(CLI::App& app, Command* selected);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_DEVICES_CMD_H_

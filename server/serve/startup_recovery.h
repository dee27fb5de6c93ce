// What `serve` puts right in the database before it answers anyone: leases
// that ran out while the server was down, the tenant's MDE workspace ids,
// device needs computed by an older version's rules, and onboard tasks left
// waiting for a Defender confirmation this server cannot make. Separate
// from serve's assembly so it runs, and is tested, on a store alone.
#ifndef MDEFLEET_SERVER_SERVE_STARTUP_RECOVERY_H_
#define MDEFLEET_SERVER_SERVE_STARTUP_RECOVERY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/store/settings.h"
#include "server/store/store.h"

namespace mdefleet::serve {

struct StartupRecoveryOptions {
  // A task in flight gets a fresh lease this long (serve --lease-duration).
  absl::Duration lease_duration = absl::Minutes(10);
  // --mde-workspace-id: nullopt keeps the stored ids.
  std::optional<std::vector<std::string>> mde_workspace_ids;
  // With Defender API credentials, onboard's confirm_in_defender waits this
  // long; without, it is skipped (and tasks left waiting for it end).
  bool defender_configured = false;
  absl::Duration defender_confirm_timeout = absl::Minutes(30);
};

struct StartupRecovery {
  int extended_leases = 0;
  int64_t renewed_needs = 0;
  store::MdeWorkspaceChange workspaces;
  int skipped_confirmations = 0;
};

[[nodiscard]] absl::StatusOr<StartupRecovery> RecoverAtStartup(
    store::Store& store, const Clock& clock,
    const StartupRecoveryOptions& options);

// The start-up log lines saying what it found and did.
std::vector<std::string> DescribeRecovery(
    const StartupRecovery& recovery, const StartupRecoveryOptions& options);

}  // namespace mdefleet::serve

#endif  // MDEFLEET_SERVER_SERVE_STARTUP_RECOVERY_H_

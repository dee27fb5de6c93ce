#include "server/serve/startup_recovery.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "server/defender/confirm_worker.h"
#include "server/store/devices.h"
#include "server/store/lease_expiry.h"
#include "server/store/time_util.h"

namespace mdefleet::serve {

absl::StatusOr<StartupRecovery> RecoverAtStartup(
    store::Store& store, const Clock& clock,
    const StartupRecoveryOptions& options) {
  StartupRecovery out;
  RETURN_IF_ERROR(store.Write([&](store::Connection& c) -> absl::Status {
    const int64_t now = store::ToMicros(clock.Now());
    ASSIGN_OR_RETURN(out.extended_leases, store::ExtendLeasesAfterRestart(
                                              c, now, options.lease_duration));
    // Settings first: a change recomputes every device's needs, which
    // leaves none stale for this version's rules.
    if (options.mde_workspace_ids.has_value()) {
      ASSIGN_OR_RETURN(out.workspaces, store::ApplyMdeWorkspaceIds(
                                           c, *options.mde_workspace_ids,
                                           "mdefleet-server serve", now));
    } else {
      // Unchanged (the start log said "changed" at every restart before).
      ASSIGN_OR_RETURN(out.workspaces.after, store::GetMdeWorkspaceIds(c));
      out.workspaces.before = out.workspaces.after;
    }
    ASSIGN_OR_RETURN(out.renewed_needs, store::RecomputeStaleNeeds(c));
    // Plans made by this server (onboard's confirm_in_defender) follow what
    // it can do now.
    return store::SetDefenderConfirmTimeout(
        c,
        options.defender_configured ? options.defender_confirm_timeout
                                    : absl::ZeroDuration(),
        now);
  }));
  if (!options.defender_configured) {
    // Handed over by a server that had the API: not confirmed, not lost.
    ASSIGN_OR_RETURN(
        out.skipped_confirmations,
        defender::ConfirmWorker::SkipPending(
            store, clock,
            "not confirmed in Defender: the server was restarted without "
            "Defender API credentials; check the device in the Defender "
            "portal (article 001)"));
  }
  return out;
}

std::vector<std::string> DescribeRecovery(
    const StartupRecovery& recovery, const StartupRecoveryOptions& options) {
  std::vector<std::string> lines;
  const store::MdeWorkspaceChange& workspaces = recovery.workspaces;
  lines.push_back(absl::StrCat(
      "the tenant's Defender for Endpoint workspace(s): ",
      workspaces.after.empty()
          ? std::string("not configured (any MMA workspace stops onboard; "
                        "--mde-workspace-id names the MDE one)")
          : absl::StrJoin(workspaces.after, ", "),
      workspaces.changed() ? absl::StrCat(" (changed, audited; needs of ",
                                          workspaces.devices_recomputed,
                                          " device(s) recomputed)")
                           : ""));
  if (recovery.renewed_needs > 0) {
    lines.push_back(absl::StrCat("recomputed the needs of ",
                                 recovery.renewed_needs,
                                 " device(s) with this version's rules"));
  }
  if (recovery.extended_leases > 0) {
    lines.push_back(absl::StrCat(
        "gave ", recovery.extended_leases,
        " task(s) in flight a fresh lease of ",
        absl::FormatDuration(options.lease_duration),
        " (their runners could not report while the server was down)"));
  }
  if (recovery.skipped_confirmations > 0) {
    lines.push_back(absl::StrCat(
        recovery.skipped_confirmations,
        " onboard task(s) were waiting for Defender's confirmation: ended "
        "SUCCEEDED on the runner's checks, their confirm_in_defender step "
        "skipped (no Defender API credentials)"));
  }
  return lines;
}

}  // namespace mdefleet::serve

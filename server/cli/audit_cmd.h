// `mdefleetctl audit list`: the audit log of operator actions (who did what
// to which job, when, and whether it was done), newest first.
#ifndef MDEFLEET_SERVER_CLI_AUDIT_CMD_H_
#define MDEFLEET_SERVER_CLI_AUDIT_CMD_H_

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/cli/command.h"

namespace mdefleet::cli {

inline constexpr uint32_t kDefaultAuditLimit = 100;

// The flags as typed; empty strings are "not given".
struct AuditListOptions {
  std::string actor;    // --actor NAME
  std::string action;   // --action pause_job | pause | retry-failed
  std::string job;      // --job ID (the target)
  std::string outcome;  // --outcome ok|refused|error
  std::string since;    // --since 24h | RFC 3339
  std::string until;    // --until 1h | RFC 3339
  uint32_t limit = kDefaultAuditLimit;  // --limit N, 0 = all
};

// The request for the first page; durations count back from `now`. Usage
// errors name the flag (a bad --outcome, --since not before --until); the
// action is checked by the server, which knows the audited actions.
[[nodiscard]] absl::StatusOr<v1::ListAuditLogRequest> BuildListAuditLogRequest(
    const AuditListOptions& options, absl::Time now);

// Lists entries, following pages until `limit` entries or the last page.
// Table: TIME ACTOR ACTION TARGET OUTCOME DETAIL. -o json prints one
// ListAuditLogResponse holding every entry fetched (with next_page_token
// when --limit cut it short).
[[nodiscard]] absl::Status RunAuditList(CommandEnv& env,
                                        const AuditListOptions& options);

// Adds the `audit` command group; the chosen command lands in `selected`.
void AddAuditCommands(CLI::App& app, Command* selected);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_AUDIT_CMD_H_

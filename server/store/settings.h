// Settings of the server kept in its database (migration 0009): the tenant's
// Defender for Endpoint workspace ids (common/mde_workspaces.h), and how long
// onboard waits for Defender's confirmation (zero: no Defender API).
#ifndef MDEFLEET_SERVER_STORE_SETTINGS_H_
#define MDEFLEET_SERVER_STORE_SETTINGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// The tenant's MDE workspace ids, normalized and sorted; empty when not
// configured.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> GetMdeWorkspaceIds(
    Connection& db);

struct MdeWorkspaceChange {
  bool changed() const { return before != after; }
  std::vector<std::string> before;
  std::vector<std::string> after;
  int64_t devices_recomputed = 0;
};

// Makes `ids` (normalized and sorted) the tenant's MDE workspace ids. When
// they differ from the stored ones: stored, audited (change_settings by
// `actor`, role "server") and every device's needs recomputed, in the
// caller's transaction.
[[nodiscard]] absl::StatusOr<MdeWorkspaceChange> ApplyMdeWorkspaceIds(
    Connection& db, std::vector<std::string> ids, absl::string_view actor,
    int64_t now);

// How long onboard's confirm_in_defender waits for Defender to list the
// device Active; zero when the server runs without Defender API credentials
// (the step is then skipped). Written by `serve` at every start, so plans
// made by this server match what it can do; not audited (it follows flags).
[[nodiscard]] absl::StatusOr<absl::Duration> GetDefenderConfirmTimeout(
    Connection& db);
[[nodiscard]] absl::Status SetDefenderConfirmTimeout(Connection& db,
                                                     absl::Duration timeout,
                                                     int64_t now);

// Records the SHA-256 of the CA certificate (hex) that signs the runners'
// client certificates the first time a TLS server starts on the store;
// FailedPrecondition (naming `tls_dir`) when a server starts with another
// CA, since runners it did not sign would be refused there. Replicas of one
// PostgreSQL store must share the CA.
[[nodiscard]] absl::Status CheckOrRecordCa(Connection& db,
                                           absl::string_view ca_sha256,
                                           absl::string_view tls_dir,
                                           int64_t now);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_SETTINGS_H_

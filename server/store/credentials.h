// Admin tokens and enrollment secrets, stored only as SHA-256 hashes.
#ifndef MDEFLEET_SERVER_STORE_CREDENTIALS_H_
#define MDEFLEET_SERVER_STORE_CREDENTIALS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

enum class CredentialKind { kAdmin, kEnrollment };

[[nodiscard]] absl::Status InsertCredential(Connection& db, CredentialKind kind,
                                            absl::string_view name,
                                            absl::string_view token_hash,
                                            int64_t now_micros);

struct CredentialRow {
  CredentialKind kind = CredentialKind::kAdmin;
  std::string name;  // who acts with it (audit log, created_by)
};

// The credential with this hash, nullopt when there is none.
[[nodiscard]] absl::StatusOr<std::optional<CredentialRow>> FindCredential(
    Connection& db, absl::string_view token_hash);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_CREDENTIALS_H_

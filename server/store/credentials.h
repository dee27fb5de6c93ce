// API tokens and enrollment secrets, stored only as SHA-256 hashes, with
// their role (tokens), label scope (secrets), expiry and revocation.
#ifndef MDEFLEET_SERVER_STORE_CREDENTIALS_H_
#define MDEFLEET_SERVER_STORE_CREDENTIALS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/access.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// kApi is stored as kind 'admin' (the name of version 1, when the only API
// token was the admin's).
enum class CredentialKind { kApi, kEnrollment };

struct NewCredential {
  CredentialKind kind = CredentialKind::kApi;
  std::string name;
  v1::Role role = v1::ROLE_UNSPECIFIED;  // kApi only
  std::string token_hash;
  std::string created_by;
  std::optional<int64_t> expires_at;
  std::map<std::string, std::string> scope_labels;  // kEnrollment only
};

struct CredentialRow {
  int64_t id = 0;
  CredentialKind kind = CredentialKind::kApi;
  std::string name;  // who acts with it (audit log, created_by)
  v1::Role role = v1::ROLE_UNSPECIFIED;
  std::string token_hash;
  std::string created_by;
  int64_t created_at = 0;
  std::optional<int64_t> expires_at;
  std::optional<int64_t> revoked_at;
  std::map<std::string, std::string> scope_labels;

  // Neither revoked nor expired at `now`.
  bool UsableAt(int64_t now) const {
    return !revoked_at.has_value() && (!expires_at || *expires_at > now);
  }
};

// The new row's id. AlreadyExists naming `name` when a credential of the
// kind not revoked has that name.
[[nodiscard]] absl::StatusOr<int64_t> InsertCredential(
    Connection& db, const NewCredential& credential, int64_t now_micros);

// init's credentials: the API token "admin" (admin role) and the enrollment
// secret "runners".
[[nodiscard]] absl::Status InsertBootstrapCredentials(
    Connection& db, absl::string_view admin_token_hash,
    absl::string_view enrollment_secret_hash, int64_t now_micros);

// The credential with this hash (revoked and expired ones included: the
// caller says why it is refused), nullopt when there is none.
[[nodiscard]] absl::StatusOr<std::optional<CredentialRow>> FindCredential(
    Connection& db, absl::string_view token_hash);

// The credential of `kind` named by `ref`: its id (digits), else the
// not-revoked one with that name. NotFound naming `field` otherwise.
[[nodiscard]] absl::StatusOr<CredentialRow> ResolveCredential(
    Connection& db, CredentialKind kind, absl::string_view ref,
    absl::string_view field);

// Every credential of `kind` by id, revoked ones only if asked.
[[nodiscard]] absl::StatusOr<std::vector<CredentialRow>> ListCredentials(
    Connection& db, CredentialKind kind, bool include_revoked);

[[nodiscard]] absl::Status RevokeCredential(Connection& db, int64_t id,
                                            int64_t now_micros);
[[nodiscard]] absl::Status SetCredentialExpiry(Connection& db, int64_t id,
                                               int64_t expires_at);

// "key=value" lines, sorted (credentials.scope_labels, devices.scope_labels).
std::string EncodeScopeLabels(const std::map<std::string, std::string>& labels);
std::map<std::string, std::string> DecodeScopeLabels(absl::string_view text);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_CREDENTIALS_H_

// The runner's enrollment identity (device id + device token) and its TLS
// client certificate, kept in the state directory. The token and the client
// private key are stored only as ProtectSecret output (DPAPI on Windows),
// never in clear.
#ifndef MDEFLEET_RUNNER_CLIENT_IDENTITY_STORE_H_
#define MDEFLEET_RUNNER_CLIENT_IDENTITY_STORE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

struct RunnerIdentity {
  std::string device_id;
  std::string device_token;  // secret: never log
};

// <state dir>\identity
std::string IdentityPath(const Host& host);

// The stored identity; nullopt when the runner has not enrolled yet.
// DataLoss when the file is malformed or the token cannot be unprotected.
[[nodiscard]] absl::StatusOr<std::optional<RunnerIdentity>> LoadIdentity(
    Host& host);

// Stores `identity` (creating the state directory if needed), atomically.
[[nodiscard]] absl::Status SaveIdentity(Host& host,
                                        const RunnerIdentity& identity);

// The client certificate issued at enrollment over TLS, and its key.
struct ClientCertificate {
  std::string key_pem;  // secret: never log
  std::string certificate_pem;
};

// <state dir>\client.key (protected) and <state dir>\client.pem.
std::string ClientKeyPath(const Host& host);
std::string ClientCertificatePath(const Host& host);

// The stored client certificate; nullopt when there is none (enrolled over
// plaintext, or by a server without a CA key). A renewed pair left in
// client.renewed by an interrupted SaveRenewedClientCertificate wins (and
// its replacement is finished). DataLoss when only one of the two files
// exists or the key cannot be unprotected.
[[nodiscard]] absl::StatusOr<std::optional<ClientCertificate>>
LoadClientCertificate(Host& host);

// Stores `certificate` (creating the state directory if needed), replacing
// an earlier one. Saved before the identity that goes with it, so that an
// identity never points at a missing certificate.
[[nodiscard]] absl::Status SaveClientCertificate(
    Host& host, const ClientCertificate& certificate);

// <state dir>\client.renewed: a renewed certificate and its protected key in
// one file, written (atomically) before client.key and client.pem are
// replaced, so that a crash in between never leaves a key with another
// key's certificate.
std::string RenewedClientCertificatePath(const Host& host);

// Stores a renewed certificate crash-safely: client.renewed first, then
// client.key and client.pem, then client.renewed is deleted.
// LoadClientCertificate finishes an interrupted replacement.
[[nodiscard]] absl::Status SaveRenewedClientCertificate(
    Host& host, const ClientCertificate& certificate);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_IDENTITY_STORE_H_

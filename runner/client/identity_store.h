// The runner's enrollment identity (device id + device token), kept in the
// state directory. The token is stored only as ProtectSecret output (DPAPI on
// Windows), never in clear.
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
absl::StatusOr<std::optional<RunnerIdentity>> LoadIdentity(Host& host);

// Stores `identity` (creating the state directory if needed), atomically.
absl::Status SaveIdentity(Host& host, const RunnerIdentity& identity);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_IDENTITY_STORE_H_

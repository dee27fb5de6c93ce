// How mdefleetctl classifies failures: usage errors (exit 2) versus errors
// from the server or the environment (exit 1), and the translation of gRPC
// statuses into messages an operator can act on.
#ifndef MDEFLEET_SERVER_CLI_ERRORS_H_
#define MDEFLEET_SERVER_CLI_ERRORS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mdefleet::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// An InvalidArgument status marked as a usage error: a flag or argument the
// operator got wrong, detected before anything was sent to the server.
// `message` should name the flag ("--target \"x\": ...").
[[nodiscard]] absl::Status UsageError(absl::string_view message);

// True for statuses made by UsageError.
bool IsUsageError(const absl::Status& status);

// Exit code for a command's final status: 0 ok, 2 usage error, 1 otherwise.
int ExitCodeFor(const absl::Status& status);

// Translates a failed RPC into an absl::Status with the same code and an
// operator-facing message: "authentication failed: ...", "cannot reach
// mdefleet-server at HOST:PORT: ...", "message too large: ...". The server's
// own message (which names the offending field) is kept. `server` is the
// address the CLI dialled. Ok maps to Ok.
[[nodiscard]] absl::Status FromRpcStatus(const grpc::Status& status,
                                         absl::string_view server);

// `status` with, when it is Unavailable, the likely TLS cause: with
// --ca-cert `ca_cert`, a server certificate from another CA (or for another
// name); without, a server that serves TLS. Other statuses unchanged.
[[nodiscard]] absl::Status WithTransportHint(const absl::Status& status,
                                             absl::string_view ca_cert);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_ERRORS_H_

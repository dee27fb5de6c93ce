// Where mdefleetctl connects and how it authenticates: the global flags
// (--server, --ca-cert, --token/--token-file, --timeout), the gRPC channel
// (TLS pinned to --ca-cert; plaintext only to a loopback address) and the
// per-call context carrying "authorization: Bearer <token>".
#ifndef MDEFLEET_SERVER_CLI_CONNECTION_H_
#define MDEFLEET_SERVER_CLI_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mdefleet/v1/admin.grpc.pb.h"

namespace mdefleet::cli {

inline constexpr char kDefaultServer[] = "127.0.0.1:7443";

// Global flags as parsed (environment variables already applied by the
// parser for --server and --token).
struct ConnectionOptions {
  std::string server = kDefaultServer;
  std::string token{};       // never printed
  std::string token_file{};  // read when --token is not given
  std::string timeout = "30s";
  // --ca-cert / MDEFLEET_CA_CERT: the only CA the server's certificate may
  // chain to; empty: plaintext, loopback --server only.
  std::string ca_cert{};
};

// The channel credentials for `options`: TLS whose only root is the
// certificate in --ca-cert (so a certificate from any other CA, public ones
// included, is refused), or plaintext when --ca-cert is absent and --server is
// a loopback address. Usage error otherwise: the token must not cross the
// network in clear. An unreadable or non-PEM --ca-cert is an error naming it.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
ChannelCredentialsFor(const ConnectionOptions& options);

// The admin token: --token, else the first line of --token-file (surrounding
// whitespace removed). Usage error when neither gives a token; an unreadable
// token file is a plain error naming the file (the token is never quoted).
[[nodiscard]] absl::StatusOr<std::string> ResolveToken(
    const ConnectionOptions& options);

// An open channel to mdefleet-server with the admin token. Cheap to create;
// the TCP connection is made on the first call.
class Connection {
 public:
  // Validates the options (token, timeout, transport) and creates the
  // channel.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const ConnectionOptions& options);

  // For tests: a connection over an existing channel.
  static std::unique_ptr<Connection> ForChannelForTest(
      std::shared_ptr<grpc::Channel> channel, std::string server,
      std::string token, absl::Duration timeout);

  // A context for one call: the bearer token, and a deadline of --timeout
  // from now unless `with_deadline` is false (streams that may run long).
  std::unique_ptr<grpc::ClientContext> NewContext(
      bool with_deadline = true) const;

  // A context whose deadline is `deadline` from now (long uploads).
  std::unique_ptr<grpc::ClientContext> NewContextWithDeadline(
      absl::Duration deadline) const;

  v1::AdminService::Stub& admin() const { return *stub_; }
  const std::string& server() const { return server_; }
  absl::Duration timeout() const { return timeout_; }

  // FromRpcStatus with this connection's server address, and a hint at the
  // CA when the server cannot be reached (WithTransportHint).
  [[nodiscard]] absl::Status Check(const grpc::Status& status) const;

 private:
  Connection(std::shared_ptr<grpc::Channel> channel, std::string server,
             std::string token, absl::Duration timeout, std::string ca_cert);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AdminService::Stub> stub_;
  std::string server_;
  std::string token_;
  absl::Duration timeout_;
  std::string ca_cert_;  // --ca-cert path, for error messages
};

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_CONNECTION_H_

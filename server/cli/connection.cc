#include "server/cli/connection.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/tls/address.h"
#include "common/tls/pem.h"
#include "server/cli/duration.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {
namespace {

// Large enough for a page of tasks with their output tails (the server's
// page limit bounds the rest).
constexpr int kMaxReceiveBytes = 64 << 20;

}  // namespace

absl::StatusOr<std::string> ResolveToken(const ConnectionOptions& options) {
  std::string token(absl::StripAsciiWhitespace(options.token));
  if (token.empty() && !options.token_file.empty()) {
    std::ifstream in(options.token_file);
    if (!in) {
      return absl::NotFoundError(absl::StrCat("--token-file: cannot read \"",
                                              options.token_file, "\""));
    }
    std::string line;
    std::getline(in, line);
    token = std::string(absl::StripAsciiWhitespace(line));
    if (token.empty()) {
      return UsageError(
          absl::StrCat("--token-file: \"", options.token_file, "\" is empty"));
    }
  }
  if (token.empty()) {
    return UsageError(
        "no admin token: pass --token or --token-file, or set MDEFLEET_TOKEN");
  }
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x21 ||
        static_cast<unsigned char>(c) > 0x7e) {
      return UsageError(
          "the admin token contains spaces or control characters; check "
          "--token, --token-file or MDEFLEET_TOKEN");
    }
  }
  return token;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ConnectionOptions& options) {
  if (options.ca_cert.empty()) {
    if (!tls::IsLocalAddress(options.server)) {
      return UsageError(absl::StrCat(
          "--server ", options.server,
          " is not a loopback address: pass --ca-cert (or set "
          "MDEFLEET_CA_CERT) with the server's CA certificate (ca.pem from "
          "mdefleet-server init); the admin token must not cross the network "
          "in plaintext"));
    }
    return grpc::InsecureChannelCredentials();
  }
  std::ifstream in(options.ca_cert, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--ca-cert: cannot read \"", options.ca_cert, "\""));
  }
  std::stringstream pem;
  pem << in.rdbuf();
  absl::Status parsed =
      tls::ParseCertificatePem(pem.str(), "--ca-cert").status();
  if (!parsed.ok()) {
    return UsageError(
        absl::StrCat(parsed.message(), " in \"", options.ca_cert, "\""));
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  return grpc::SslCredentials(ssl);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const ConnectionOptions& options) {
  if (absl::StripAsciiWhitespace(options.server).empty()) {
    return UsageError("--server is empty; expected HOST:PORT");
  }
  auto timeout = ParseCliDuration(options.timeout, "--timeout");
  if (!timeout.ok()) return timeout.status();
  if (*timeout <= absl::ZeroDuration()) {
    return UsageError("--timeout must be greater than 0");
  }
  auto token = ResolveToken(options);
  if (!token.ok()) return token.status();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  args.SetUserAgentPrefix("mdefleetctl");
  auto credentials = ChannelCredentialsFor(options);
  if (!credentials.ok()) return credentials.status();
  auto channel =
      grpc::CreateCustomChannel(options.server, *std::move(credentials), args);
  return std::unique_ptr<Connection>(
      new Connection(std::move(channel), options.server, *std::move(token),
                     *timeout, options.ca_cert));
}

std::unique_ptr<Connection> Connection::ForChannelForTest(
    std::shared_ptr<grpc::Channel> channel, std::string server,
    std::string token, absl::Duration timeout) {
  return std::unique_ptr<Connection>(new Connection(
      std::move(channel), std::move(server), std::move(token), timeout, ""));
}

Connection::Connection(std::shared_ptr<grpc::Channel> channel,
                       std::string server, std::string token,
                       absl::Duration timeout, std::string ca_cert)
    : channel_(std::move(channel)),
      stub_(v1::AdminService::NewStub(channel_)),
      server_(std::move(server)),
      token_(std::move(token)),
      timeout_(timeout),
      ca_cert_(std::move(ca_cert)) {}

std::unique_ptr<grpc::ClientContext> Connection::NewContext(
    bool with_deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  if (with_deadline) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  }
  return context;
}

std::unique_ptr<grpc::ClientContext> Connection::NewContextWithDeadline(
    absl::Duration deadline) const {
  auto context = NewContext(/*with_deadline=*/false);
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return context;
}

absl::Status Connection::Check(const grpc::Status& status) const {
  return WithTransportHint(FromRpcStatus(status, server_), ca_cert_);
}

}  // namespace mdefleet::cli

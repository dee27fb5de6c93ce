#include "server/cli/errors.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mdefleet::cli {
namespace {

constexpr absl::string_view kUsagePayloadUrl = "mdefleet.cli/usage";

std::string Prefixed(absl::string_view prefix, absl::string_view message) {
  if (message.empty()) return std::string(prefix);
  return absl::StrCat(prefix, ": ", message);
}

}  // namespace

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayloadUrl, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayloadUrl).has_value();
}

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  return IsUsageError(status) ? kExitUsage : kExitFailure;
}

absl::Status FromRpcStatus(const grpc::Status& status,
                           absl::string_view server) {
  if (status.ok()) return absl::OkStatus();
  const std::string& message = status.error_message();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string text;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      text = Prefixed(
          "authentication failed (check --token, --token-file or "
          "MDEFLEET_TOKEN)",
          message);
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      text = Prefixed("permission denied", message);
      break;
    case grpc::StatusCode::UNAVAILABLE:
      text = Prefixed(absl::StrCat("cannot reach mdefleet-server at ", server),
                      message);
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      text = Prefixed(absl::StrCat("no answer from mdefleet-server at ", server,
                                   " in time (raise --timeout)"),
                      message);
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      if (absl::StrContains(message, "larger than max") ||
          absl::StrContains(absl::AsciiStrToLower(message), "too large")) {
        text = Prefixed("message too large", message);
      } else {
        text = Prefixed("resource exhausted", message);
      }
      break;
    case grpc::StatusCode::NOT_FOUND:
      text = Prefixed("not found", message);
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
      text = Prefixed("invalid request", message);
      break;
    case grpc::StatusCode::FAILED_PRECONDITION:
      text = Prefixed("refused", message);
      break;
    case grpc::StatusCode::ALREADY_EXISTS:
      text = Prefixed("already exists", message);
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      text = Prefixed("not supported by this server", message);
      break;
    case grpc::StatusCode::CANCELLED:
      text = Prefixed("cancelled", message);
      break;
    default:
      text = Prefixed("server error", message);
      break;
  }
  return absl::Status(code, text);
}

absl::Status WithTransportHint(const absl::Status& status,
                               absl::string_view ca_cert) {
  if (!absl::IsUnavailable(status)) return status;
  if (ca_cert.empty()) {
    return absl::UnavailableError(absl::StrCat(
        status.message(),
        " (if the server serves TLS, pass --ca-cert or set MDEFLEET_CA_CERT "
        "to its CA certificate, ca.pem from mdefleet-server init)"));
  }
  return absl::UnavailableError(
      absl::StrCat(status.message(),
                   " (if the server is up: the TLS handshake fails when "
                   "its certificate was not issued by the CA in --ca-cert ",
                   ca_cert, ", or does not name the host in --server)"));
}

}  // namespace mdefleet::cli

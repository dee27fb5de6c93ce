// The one conversion from absl::Status to grpc::Status, and the credential
// metadata of a call. Used only by the gRPC adapters.
#ifndef MDEFLEET_SERVER_SERVICE_GRPC_STATUS_H_
#define MDEFLEET_SERVER_SERVICE_GRPC_STATUS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"

namespace mdefleet::service {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

// The "authorization" metadata value ("" when absent).
inline std::string AuthorizationOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_GRPC_STATUS_H_

// The PeerIdentity of a gRPC call, from its auth context (TLS transport and
// the client certificate gRPC verified). Used only by the gRPC adapters.
#ifndef MDEFLEET_SERVER_SERVICE_GRPC_PEER_H_
#define MDEFLEET_SERVER_SERVICE_GRPC_PEER_H_

#include <grpcpp/grpcpp.h>

#include "server/service/peer_identity.h"

namespace mdefleet::service {

PeerIdentity PeerOf(const grpc::ServerContextBase& context);

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_GRPC_PEER_H_

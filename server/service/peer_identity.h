// What the transport tells a runner RPC about its caller, beside the bearer
// token: whether the call came over TLS and which device the verified TLS
// client certificate (if any) was issued to. Filled by the gRPC adapter
// (grpc_peer.h); plain data so the handlers stay testable without gRPC.
#ifndef MDEFLEET_SERVER_SERVICE_PEER_IDENTITY_H_
#define MDEFLEET_SERVER_SERVICE_PEER_IDENTITY_H_

#include <string>

namespace mdefleet::service {

struct PeerIdentity {
  // The call came over TLS (the server certificate was presented).
  bool tls = false;
  // The caller presented a client certificate that chains to the server's CA
  // (gRPC verified it during the handshake).
  bool has_client_certificate = false;
  // The device id in that certificate (urn:mdefleet:device:<id>); empty when
  // the certificate names no device.
  std::string certificate_device_id{};
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_PEER_IDENTITY_H_

// What the transport tells a runner RPC about its caller, beside the bearer
// token: whether the call came over TLS and which client certificate (if
// any) the caller presented. Filled by the gRPC adapter (grpc_peer.h) for
// every call, not once per connection: gRPC reuses a connection for many
// calls, and each is checked against the store as it is then. Plain data so
// the handlers stay testable without gRPC.
#ifndef MDEFLEET_SERVER_SERVICE_PEER_IDENTITY_H_
#define MDEFLEET_SERVER_SERVICE_PEER_IDENTITY_H_

#include <string>

#include "absl/time/time.h"

namespace mdefleet::service {

struct PeerIdentity {
  // The call came over TLS (the server certificate was presented).
  bool tls = false;
  // The caller presented a client certificate that chains to the server's CA
  // (gRPC verified it during the handshake).
  bool has_client_certificate = false;
  // The device id in that certificate (urn:mdefleet:device:<id>); empty when
  // the certificate names no device or cannot be read.
  std::string certificate_device_id{};
  // Lowercase hex SHA-256 of that certificate (DER): what the store binds a
  // device to.
  std::string certificate_sha256{};
  std::string certificate_serial{};      // lowercase hex
  std::string certificate_key_sha256{};  // SHA-256 of its public key (SPKI)
  // Its notAfter: a connection opened before it passed outlives it, so each
  // call checks it again.
  absl::Time certificate_not_after = absl::InfiniteFuture();
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_PEER_IDENTITY_H_

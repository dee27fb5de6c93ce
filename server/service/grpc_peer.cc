#include "server/service/grpc_peer.h"

#include <grpc/grpc_security_constants.h>

#include <memory>
#include <string>

#include "server/service/client_certificates.h"

namespace mdefleet::service {

PeerIdentity PeerOf(const grpc::ServerContextBase& context) {
  PeerIdentity peer;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return peer;
  for (const grpc::string_ref& type :
       auth->FindPropertyValues(GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME)) {
    if (type == GRPC_SSL_TRANSPORT_SECURITY_TYPE) peer.tls = true;
  }
  // Present only when the client sent a certificate, which gRPC has then
  // verified against the server's pem_root_certs (the mdefleet CA).
  const std::vector<grpc::string_ref> certs =
      auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (!peer.tls || certs.empty()) return peer;
  return PeerPresenting(
      absl::string_view(certs.front().data(), certs.front().size()));
}

}  // namespace mdefleet::service

// The runner's TLS client key and CSR, and the validity of the certificate
// the server issues for it, made and read with OpenSSL. RunnerAgentOptions
// takes these as injected functions (make_client_key, certificate_validity);
// both runners (the Windows service and the simulator) pass these.
#ifndef MDEFLEET_RUNNER_CLIENT_OPENSSL_CLIENT_KEY_H_
#define MDEFLEET_RUNNER_CLIENT_OPENSSL_CLIENT_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "runner/client/certificate_renewal.h"

namespace mdefleet::runner {

// A new private key and a CSR naming `name` (informational: the server
// decides the certificate's subject).
[[nodiscard]] absl::StatusOr<ClientKeyRequest> MakeOpenSslClientKey(
    const std::string& name);

// notBefore and notAfter of a PEM certificate.
[[nodiscard]] absl::StatusOr<CertificateValidity> ReadOpenSslCertificateValidity(
    const std::string& certificate_pem);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_OPENSSL_CLIENT_KEY_H_

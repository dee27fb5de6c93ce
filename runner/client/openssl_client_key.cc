#include "runner/client/openssl_client_key.h"

#include <utility>

#include "common/tls/client_certificate.h"

namespace mdefleet::runner {

absl::StatusOr<ClientKeyRequest> MakeOpenSslClientKey(const std::string& name) {
  absl::StatusOr<tls::KeyAndCsr> made = tls::CreateKeyAndCsr(name);
  if (!made.ok()) return made.status();
  return ClientKeyRequest{std::move(made->key_pem), std::move(made->csr_pem)};
}

absl::StatusOr<CertificateValidity> ReadOpenSslCertificateValidity(
    const std::string& certificate_pem) {
  absl::StatusOr<tls::ClientCertificateInfo> info =
      tls::ReadClientCertificate(certificate_pem);
  if (!info.ok()) return info.status();
  return CertificateValidity{info->not_before, info->not_after};
}

}  // namespace mdefleet::runner

#include "server/service/client_certificates.h"

#include "absl/strings/str_cat.h"
#include "common/tls/client_certificate.h"

namespace mdefleet::service {

absl::Status CheckClientCertificate(absl::string_view device_id,
                                    const PeerIdentity& peer, bool required) {
  if (peer.has_client_certificate) {
    if (peer.certificate_device_id.empty()) {
      return absl::UnauthenticatedError(
          "client certificate: it names no mdefleet device (a runner presents "
          "the certificate it was issued at enrollment)");
    }
    if (peer.certificate_device_id != device_id) {
      return absl::UnauthenticatedError(
          "client certificate belongs to another device: it does not match "
          "the device token");
    }
    return absl::OkStatus();
  }
  if (required) {
    return absl::UnauthenticatedError(
        "client certificate: required by this server (serve --mtls); the "
        "runner has none: enroll it again over TLS (--ca-cert) to get one");
  }
  return absl::OkStatus();
}

bool IssuesClientCertificate(const tls::CertificateAuthority* ca,
                             const PeerIdentity& peer,
                             const v1::EnrollRequest& request) {
  return ca != nullptr && peer.tls && !request.csr_pem().empty();
}

absl::Status CheckEnrollmentCsr(const tls::CertificateAuthority* ca,
                                const PeerIdentity& peer,
                                const v1::EnrollRequest& request) {
  if (!IssuesClientCertificate(ca, peer, request)) return absl::OkStatus();
  return tls::VerifyCsr(request.csr_pem());
}

absl::StatusOr<std::string> IssueEnrollmentCertificate(
    const tls::CertificateAuthority* ca, const PeerIdentity& peer,
    const v1::EnrollRequest& request, absl::string_view device_id,
    absl::Time now) {
  if (!IssuesClientCertificate(ca, peer, request)) return std::string();
  return ca->IssueClientCertificate(request.csr_pem(), device_id, now);
}

}  // namespace mdefleet::service

// Client certificates of runners: issued at enrollment over TLS, then bound
// to the device token on every other runner RPC. A stolen device token is
// then useless without the device's private key, and a runner cannot act
// for another device with its own certificate.
#ifndef MDEFLEET_SERVER_SERVICE_CLIENT_CERTIFICATES_H_
#define MDEFLEET_SERVER_SERVICE_CLIENT_CERTIFICATES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/tls/certificate_authority.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/service/peer_identity.h"

namespace mdefleet::service {

// Ok when `peer` may act for `device_id` (the device of its token): a client
// certificate, if presented, must name that device; with `required` (serve
// --mtls) one must be presented. Unauthenticated otherwise.
[[nodiscard]] absl::Status CheckClientCertificate(absl::string_view device_id,
                                                  const PeerIdentity& peer,
                                                  bool required);

// Whether Enroll issues a client certificate: the runner sent a CSR, over
// TLS, and the server holds its CA's key (`ca` not null).
bool IssuesClientCertificate(const tls::CertificateAuthority* ca,
                             const PeerIdentity& peer,
                             const v1::EnrollRequest& request);

// InvalidArgument "csr_pem: ..." when a CSR that would be signed is bad.
// Called before enrollment writes anything.
[[nodiscard]] absl::Status CheckEnrollmentCsr(
    const tls::CertificateAuthority* ca, const PeerIdentity& peer,
    const v1::EnrollRequest& request);

// The client certificate for `device_id` (PEM), or "" when none is issued
// (see IssuesClientCertificate).
[[nodiscard]] absl::StatusOr<std::string> IssueEnrollmentCertificate(
    const tls::CertificateAuthority* ca, const PeerIdentity& peer,
    const v1::EnrollRequest& request, absl::string_view device_id,
    absl::Time now);

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_CLIENT_CERTIFICATES_H_

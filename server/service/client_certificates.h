// Client certificates of runners: issued at enrollment over TLS, renewed
// over the authenticated channel, and checked on every other runner RPC
// against the one certificate the device is bound to (its SHA-256
// fingerprint in the store). A stolen device token is then useless without
// the device's private key, a runner cannot act for another device with its
// own certificate, and a certificate replaced by renewal or re-enrollment,
// or of a revoked device, stops working on its next call.
#ifndef MDEFLEET_SERVER_SERVICE_CLIENT_CERTIFICATES_H_
#define MDEFLEET_SERVER_SERVICE_CLIENT_CERTIFICATES_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/tls/certificate_authority.h"
#include "common/tls/client_certificate.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/service/peer_identity.h"
#include "server/store/device_certificates.h"
#include "server/store/sqlite.h"

namespace mdefleet::service {

// What PeerOf (grpc_peer.h) makes of a TLS call presenting
// `certificate_pem`, which gRPC verified against the server's CA. A
// certificate that cannot be read leaves certificate_device_id empty (the
// checks below then refuse it).
PeerIdentity PeerPresenting(absl::string_view certificate_pem);

// How a call's certificate relates to the device it acts for.
enum class CertificateMatch {
  kNotPresented,  // no certificate, and none required (token-only allowed)
  kCurrent,       // the device's current certificate
  kNext,          // its renewed certificate, presented for the first time
  kAdopted,       // the device enrolled before certificates were recorded:
                  // this valid certificate naming it becomes its current one
};

// The rules, without the store: `peer` may act for `device_id`, whose
// certificates are `stored`, at `now`. Unauthenticated, with a message an
// operator can act on, when it presents a certificate naming another device
// or none, an expired one, one that is not the device's current or renewed
// certificate (an older one, replaced by renewal or re-enrollment), or, with
// `required`, none at all. kNext and kAdopted change the binding: see
// CheckDeviceCertificate.
[[nodiscard]] absl::StatusOr<CertificateMatch> MatchDeviceCertificate(
    absl::string_view device_id, const store::DeviceCertificates& stored,
    const PeerIdentity& peer, bool required, absl::Time now);

// THE certificate check, store-backed: whether `peer` proves to be device
// `device_id` by its client certificate. Call it inside Store::Write: when
// the peer presents the device's renewed certificate for the first time it
// becomes the current one (the previous one is refused from then on), and a
// device enrolled before certificates were recorded adopts the one it
// presents. Errors: Unauthenticated as MatchDeviceCertificate, or when
// there is no device `device_id`; PermissionDenied when the device is
// revoked. `required`: a call without a certificate is refused (pass true
// for a proof of identity, e.g. re-enrollment or renewal; runner calls pass
// the server's setting). Log what changed after the commit
// (DescribeCertificateChange).
[[nodiscard]] absl::StatusOr<CertificateMatch> CheckDeviceCertificate(
    store::Connection& db, absl::string_view device_id,
    const PeerIdentity& peer, bool required, absl::Time now);

// The log line for a kNext or kAdopted match ("" for the others).
std::string DescribeCertificateChange(absl::string_view device_id,
                                      CertificateMatch match,
                                      const PeerIdentity& peer);

// The store's record of an issued certificate.
store::CertificateRecord RecordOf(const tls::ClientCertificateInfo& info);

// Whether Enroll issues a client certificate: the runner sent a CSR, over
// TLS, and the server holds its CA's key (`ca` not null).
bool IssuesClientCertificate(const tls::CertificateAuthority* ca,
                             const PeerIdentity& peer,
                             const v1::EnrollRequest& request);

// Before enrollment writes anything: InvalidArgument "csr_pem: ..." when a
// CSR that would be signed is bad, or when `required` (client certificates
// are required) and an enrollment over TLS sends none; FailedPrecondition
// when `required` over TLS and the server has no CA key.
[[nodiscard]] absl::Status CheckEnrollmentCsr(
    const tls::CertificateAuthority* ca, const PeerIdentity& peer,
    const v1::EnrollRequest& request, bool required);

// The client certificate for `device_id` (PEM), valid `lifetime`, or
// nullopt when none is issued (see IssuesClientCertificate).
[[nodiscard]] absl::StatusOr<std::optional<std::string>>
IssueEnrollmentCertificate(const tls::CertificateAuthority* ca,
                           const PeerIdentity& peer,
                           const v1::EnrollRequest& request,
                           absl::string_view device_id, absl::Time now,
                           absl::Duration lifetime);

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_CLIENT_CERTIFICATES_H_

// mdefleet's private certificate authority: made by `mdefleet-server init`,
// it signs the server's certificate and, at enrollment, each runner's client
// certificate, whose subject names the device. EC P-256 keys and SHA-256
// signatures throughout.
#ifndef MDEFLEET_COMMON_TLS_CERTIFICATE_AUTHORITY_H_
#define MDEFLEET_COMMON_TLS_CERTIFICATE_AUTHORITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/tls/openssl_handles.h"
#include "common/tls/subject_alt_names.h"

namespace mdefleet::tls {

// Validity periods. Certificates start an hour before `now` so that a
// peer whose clock is a little behind accepts them at once.
inline constexpr absl::Duration kCaValidity = absl::Hours(24 * 3653);
inline constexpr absl::Duration kServerValidity = absl::Hours(24 * 731);
// The default lifetime of a runner's client certificate (serve
// --client-certificate-lifetime), and the shortest one allowed (tests).
inline constexpr absl::Duration kClientValidity = absl::Hours(24 * 366);
inline constexpr absl::Duration kMinClientValidity = absl::Seconds(10);

// How long before `now` a client certificate of `validity` starts: an hour,
// or a tenth of a short validity, so that the certificate's lifetime
// (notAfter - notBefore), from which runners time their renewal, stays
// close to `validity`.
absl::Duration ClientBackdate(absl::Duration validity);

struct KeyAndCertificate {
  std::string key_pem;  // secret: never log or print
  std::string certificate_pem;
};

class CertificateAuthority {
 public:
  // A new CA: a fresh EC P-256 key and a self-signed certificate (CA:TRUE,
  // pathlen 0, keyCertSign) named `common_name`, valid kCaValidity from
  // `now`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CertificateAuthority>>
  Create(absl::string_view common_name, absl::Time now);

  // The CA of ca.pem/ca.key. InvalidArgument naming `cert_what`/`key_what`
  // when either is unreadable, the key is not the certificate's, or the
  // certificate is not a CA.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CertificateAuthority>>
  Load(absl::string_view certificate_pem, absl::string_view key_pem,
       absl::string_view cert_what, absl::string_view key_what);

  // The CA certificate (public: runners and the CLI pin it).
  [[nodiscard]] absl::StatusOr<std::string> CertificatePem() const;
  // The CA private key (secret: whoever holds it can impersonate the server
  // and every runner).
  [[nodiscard]] absl::StatusOr<std::string> PrivateKeyPem() const;

  // A server certificate for `names` (at least one) with a new key:
  // serverAuth, valid kServerValidity from `now`. Its subject CN is the
  // first name.
  [[nodiscard]] absl::StatusOr<KeyAndCertificate> IssueServerCertificate(
      const std::vector<SubjectAltName>& names, absl::Time now) const;

  // Signs the public key of `csr_pem` (whose signature must verify, see
  // VerifyCsr) into a clientAuth certificate for `device_id`: subject CN
  // `device_id` and SAN URI DeviceUri(device_id), valid `validity` from
  // `now` (kMinClientValidity to kCaValidity). The rest of the request's
  // subject and extensions is ignored: the CA alone decides what the
  // certificate says. InvalidArgument "csr_pem: ..." for a bad request.
  // Safe to call from several threads.
  [[nodiscard]] absl::StatusOr<std::string> IssueClientCertificate(
      absl::string_view csr_pem, absl::string_view device_id, absl::Time now,
      absl::Duration validity = kClientValidity) const;

 private:
  CertificateAuthority(UniqueX509 certificate, UniqueEvpPkey key)
      : certificate_(std::move(certificate)), key_(std::move(key)) {}

  UniqueX509 certificate_;
  UniqueEvpPkey key_;
};

}  // namespace mdefleet::tls

#endif  // MDEFLEET_COMMON_TLS_CERTIFICATE_AUTHORITY_H_

// PEM text to and from OpenSSL objects, and the checks every loaded key pair
// needs. Errors name what was being read (`what`: a flag or a field) and
// never quote key material.
#ifndef MDEFLEET_COMMON_TLS_PEM_H_
#define MDEFLEET_COMMON_TLS_PEM_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/tls/openssl_handles.h"

namespace mdefleet::tls {

// The first certificate of `pem`. InvalidArgument "<what>: ..." when there is
// none.
[[nodiscard]] absl::StatusOr<UniqueX509> ParseCertificatePem(
    absl::string_view pem, absl::string_view what);
// A private key (PKCS#8, or the traditional EC/RSA forms). InvalidArgument
// when there is none; encrypted keys are refused (nothing could type the
// passphrase when the server starts).
[[nodiscard]] absl::StatusOr<UniqueEvpPkey> ParsePrivateKeyPem(
    absl::string_view pem, absl::string_view what);
// A certificate signing request. InvalidArgument when there is none.
[[nodiscard]] absl::StatusOr<UniqueX509Req> ParseCsrPem(absl::string_view pem,
                                                        absl::string_view what);

[[nodiscard]] absl::StatusOr<std::string> CertificateToPem(const X509& cert);
// Unencrypted PKCS#8: a secret; store it with mode 0600.
[[nodiscard]] absl::StatusOr<std::string> PrivateKeyToPem(const EVP_PKEY& key);
[[nodiscard]] absl::StatusOr<std::string> CsrToPem(const X509_REQ& csr);

// Ok when `key_pem` is the private key of the certificate in `cert_pem` and
// the certificate is valid at `now`. InvalidArgument naming `cert_what` or
// `key_what` otherwise (e.g. "--tls-key: is not the private key of the
// certificate in --tls-cert").
[[nodiscard]] absl::Status CheckKeyPair(absl::string_view cert_pem,
                                        absl::string_view key_pem,
                                        absl::string_view cert_what,
                                        absl::string_view key_what,
                                        absl::Time now);

// The certificate's notAfter as an absl::Time.
[[nodiscard]] absl::StatusOr<absl::Time> NotAfter(const X509& cert);

// An ASN.1 time as an absl::Time; nullopt when null or unreadable. (No
// timegm: Windows has none.)
std::optional<absl::Time> AsnTimeToTime(const ASN1_TIME* time);

}  // namespace mdefleet::tls

#endif  // MDEFLEET_COMMON_TLS_PEM_H_

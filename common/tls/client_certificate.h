// The runner's side of client certificates, and how anyone reads the device
// a certificate was issued to: the SAN URI urn:mdefleet:device:<device id>.
#ifndef MDEFLEET_COMMON_TLS_CLIENT_CERTIFICATE_H_
#define MDEFLEET_COMMON_TLS_CLIENT_CERTIFICATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/tls/openssl_handles.h"

namespace mdefleet::tls {

inline constexpr absl::string_view kDeviceUriPrefix = "urn:mdefleet:device:";

// "urn:mdefleet:device:<device_id>".
std::string DeviceUri(absl::string_view device_id);

// Ok when `device_id` can go into a certificate: 1 to 64 of letters, digits,
// '-', '_' and '.' (server device ids are "dev-" and hex digits).
[[nodiscard]] absl::Status ValidateDeviceId(absl::string_view device_id);

struct KeyAndCsr {
  std::string key_pem;  // secret: never log
  std::string csr_pem;
};

// A fresh EC P-256 key and a certificate signing request for it, subject CN
// `common_name` (informational: the CA names the device itself).
[[nodiscard]] absl::StatusOr<KeyAndCsr> CreateKeyAndCsr(
    absl::string_view common_name);

// Ok when `csr_pem` is a request whose signature verifies with the public key
// it carries (proof that the sender holds the private key) and whose key is
// strong enough (112-bit security: EC P-256 or RSA 2048 and up).
// InvalidArgument "csr_pem: ..." otherwise.
[[nodiscard]] absl::Status VerifyCsr(absl::string_view csr_pem);

// VerifyCsr, returning the parsed request.
[[nodiscard]] absl::StatusOr<UniqueX509Req> ParseVerifiedCsr(
    absl::string_view csr_pem);

// The device id of a client certificate made by
// CertificateAuthority::IssueClientCertificate: its one SAN URI starting with
// kDeviceUriPrefix. InvalidArgument when the PEM is unreadable or carries no
// (or more than one) device URI. Does not verify the signature: TLS did.
[[nodiscard]] absl::StatusOr<std::string> DeviceIdOfCertificate(
    absl::string_view certificate_pem);

// What the server records of a client certificate it issued and reads of one
// a caller presents. Nothing here is secret.
struct ClientCertificateInfo {
  std::string device_id;   // from the urn:mdefleet:device: SAN URI
  std::string sha256;      // lowercase hex SHA-256 of the DER certificate
  std::string serial;      // lowercase hex serial number
  std::string key_sha256;  // lowercase hex SHA-256 of its public key (SPKI)
  absl::Time not_before;
  absl::Time not_after;
};

// DeviceIdOfCertificate plus the fingerprint, serial, public key digest and
// validity of `certificate_pem`. InvalidArgument as DeviceIdOfCertificate.
// Does not verify the signature: TLS did (or the server just made it).
[[nodiscard]] absl::StatusOr<ClientCertificateInfo> ReadClientCertificate(
    absl::string_view certificate_pem);

// The lowercase hex SHA-256 of the public key (SPKI) of a CSR that passes
// VerifyCsr (whose errors it returns): compared with
// ClientCertificateInfo::key_sha256 to tell a new key from the current one.
[[nodiscard]] absl::StatusOr<std::string> CsrKeySha256(
    absl::string_view csr_pem);

}  // namespace mdefleet::tls

#endif  // MDEFLEET_COMMON_TLS_CLIENT_CERTIFICATE_H_

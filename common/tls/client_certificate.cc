#include "common/tls/client_certificate.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/tls/openssl_handles.h"
#include "common/tls/pem.h"

namespace mdefleet::tls {

std::string DeviceUri(absl::string_view device_id) {
  return absl::StrCat(kDeviceUriPrefix, device_id);
}

absl::Status ValidateDeviceId(absl::string_view device_id) {
  const bool ok = !device_id.empty() && device_id.size() <= 64 &&
                  std::all_of(device_id.begin(), device_id.end(), [](char c) {
                    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                           c == '-' || c == '_' || c == '.';
                  });
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "device id \"", absl::CHexEscape(device_id.substr(0, 80)),
        "\" cannot be put in a certificate (1 to 64 letters, digits, '-', "
        "'_', '.')"));
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyAndCsr> CreateKeyAndCsr(absl::string_view common_name) {
  UniqueEvpPkey key(EVP_EC_gen("P-256"));
  UniqueX509Req csr(X509_REQ_new());
  const std::string cn(common_name);
  if (key == nullptr || csr == nullptr ||
      X509_REQ_set_version(csr.get(), 0) != 1 ||
      X509_NAME_add_entry_by_txt(
          X509_REQ_get_subject_name(csr.get()), "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) != 1 ||
      X509_REQ_set_pubkey(csr.get(), key.get()) != 1 ||
      X509_REQ_sign(csr.get(), key.get(), EVP_sha256()) <= 0) {
    return OpenSslError(absl::StatusCode::kInternal,
                        "cannot create a client key and certificate request");
  }
  KeyAndCsr out;
  ASSIGN_OR_RETURN(out.key_pem, PrivateKeyToPem(*key));
  ASSIGN_OR_RETURN(out.csr_pem, CsrToPem(*csr));
  return out;
}

absl::StatusOr<UniqueX509Req> ParseVerifiedCsr(absl::string_view csr_pem) {
  ASSIGN_OR_RETURN(UniqueX509Req csr, ParseCsrPem(csr_pem, "csr_pem"));
  EVP_PKEY* public_key = X509_REQ_get0_pubkey(csr.get());
  if (public_key == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "csr_pem: the request carries no public key");
  }
  if (X509_REQ_verify(csr.get(), public_key) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "csr_pem: the request's signature does not verify "
                        "with its own public key");
  }
  if (EVP_PKEY_get_security_bits(public_key) < 112) {
    return absl::InvalidArgumentError(
        "csr_pem: the key is too weak (use EC P-256 or RSA 2048 and up)");
  }
  return csr;
}

absl::Status VerifyCsr(absl::string_view csr_pem) {
  return ParseVerifiedCsr(csr_pem).status();
}

namespace {

// The device id of a parsed client certificate (see DeviceIdOfCertificate).
[[nodiscard]] absl::StatusOr<std::string> DeviceIdOf(const X509& cert) {
  UniqueGeneralNames names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(&cert, NID_subject_alt_name, nullptr, nullptr)));
  ClearOpenSslErrors();  // an absent extension is not an error here
  std::vector<std::string> ids;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get());
       ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    absl::string_view text(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
        static_cast<size_t>(ASN1_STRING_length(uri)));
    if (absl::ConsumePrefix(&text, kDeviceUriPrefix)) {
      ids.emplace_back(text);
    }
  }
  if (ids.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("client certificate: expected one ", kDeviceUriPrefix,
                     "<device id> name, found ", ids.size()));
  }
  RETURN_IF_ERROR(ValidateDeviceId(ids.front()));
  return ids.front();
}

// SHA-256 (hex) of `size` DER bytes that i2d wrote to `der` (freed here).
[[nodiscard]] absl::StatusOr<std::string> DigestDer(unsigned char* der,
                                                    int size,
                                                    absl::string_view what) {
  if (size <= 0 || der == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("cannot encode the ", what));
  }
  std::string digest = Sha256Hex(absl::string_view(
      reinterpret_cast<const char*>(der), static_cast<size_t>(size)));
  OPENSSL_free(der);
  return digest;
}

[[nodiscard]] absl::StatusOr<std::string> PublicKeySha256(const EVP_PKEY& key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(&key, &der);
  return DigestDer(der, size, "public key");
}

[[nodiscard]] absl::StatusOr<absl::Time> AsnTime(const ASN1_TIME* time,
                                                 absl::string_view what) {
  const std::optional<absl::Time> t = AsnTimeToTime(time);
  if (!t.has_value()) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("client certificate: unreadable ", what));
  }
  return *t;
}

}  // namespace

absl::StatusOr<std::string> DeviceIdOfCertificate(
    absl::string_view certificate_pem) {
  ASSIGN_OR_RETURN(UniqueX509 cert,
                   ParseCertificatePem(certificate_pem, "client certificate"));
  return DeviceIdOf(*cert);
}

absl::StatusOr<ClientCertificateInfo> ReadClientCertificate(
    absl::string_view certificate_pem) {
  ASSIGN_OR_RETURN(UniqueX509 cert,
                   ParseCertificatePem(certificate_pem, "client certificate"));
  ClientCertificateInfo info;
  ASSIGN_OR_RETURN(info.device_id, DeviceIdOf(*cert));
  {
    unsigned char* der = nullptr;
    const int size = i2d_X509(cert.get(), &der);
    ASSIGN_OR_RETURN(info.sha256, DigestDer(der, size, "client certificate"));
  }
  {
    UniqueBignum serial(
        ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
    char* hex = serial != nullptr ? BN_bn2hex(serial.get()) : nullptr;
    if (hex == nullptr) {
      return OpenSslError(absl::StatusCode::kInvalidArgument,
                          "client certificate: unreadable serial number");
    }
    info.serial = absl::AsciiStrToLower(hex);
    OPENSSL_free(hex);
  }
  const EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "client certificate: no public key");
  }
  ASSIGN_OR_RETURN(info.key_sha256, PublicKeySha256(*key));
  ASSIGN_OR_RETURN(info.not_before,
                   AsnTime(X509_get0_notBefore(cert.get()), "notBefore"));
  ASSIGN_OR_RETURN(info.not_after,
                   AsnTime(X509_get0_notAfter(cert.get()), "notAfter"));
  return info;
}

absl::StatusOr<std::string> CsrKeySha256(absl::string_view csr_pem) {
  ASSIGN_OR_RETURN(UniqueX509Req csr, ParseVerifiedCsr(csr_pem));
  return PublicKeySha256(*X509_REQ_get0_pubkey(csr.get()));
}

}  // namespace mdefleet::tls

#include "common/tls/certificate_authority.h"

#include <openssl/x509v3.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/random_bytes.h"
#include "common/status_macros.h"
#include "common/tls/client_certificate.h"
#include "common/tls/pem.h"

namespace mdefleet::tls {
namespace {

constexpr absl::Duration kBackdate = absl::Hours(1);

[[nodiscard]] absl::Status Failed(absl::string_view what) {
  return OpenSslError(absl::StatusCode::kInternal, what);
}

[[nodiscard]] absl::StatusOr<UniqueEvpPkey> NewEcKey() {
  UniqueEvpPkey key(EVP_EC_gen("P-256"));
  if (key == nullptr) return Failed("cannot generate an EC P-256 key");
  return key;
}

// A random positive 127-bit serial number: unique without a counter to keep.
[[nodiscard]] absl::Status SetRandomSerial(X509& cert) {
  std::string bytes = RandomBytes(16);
  bytes[0] = static_cast<char>(static_cast<unsigned char>(bytes[0]) & 0x7f);
  bytes[0] = static_cast<char>(static_cast<unsigned char>(bytes[0]) | 0x01);
  UniqueBignum serial(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                static_cast<int>(bytes.size()), nullptr));
  if (serial == nullptr ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(&cert)) ==
          nullptr) {
    return Failed("cannot set the certificate serial number");
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status SetSubjectName(X509_NAME& name,
                                          absl::string_view common_name) {
  const std::string cn(common_name);
  if (X509_NAME_add_entry_by_txt(
          &name, "O", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>("mdefleet"), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(
          &name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) != 1) {
    return Failed(absl::StrCat("cannot set the subject name ", common_name));
  }
  return absl::OkStatus();
}

// Version 3, serial, validity (from `now` - `backdate`), subject and public
// key; issuer from `issuer` (nullptr: self-signed).
[[nodiscard]] absl::StatusOr<UniqueX509> NewCertificate(
    absl::string_view common_name, EVP_PKEY& public_key, const X509* issuer,
    absl::Time now, absl::Duration validity,
    absl::Duration backdate = kBackdate) {
  UniqueX509 cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) {
    return Failed("cannot create a certificate");
  }
  RETURN_IF_ERROR(SetRandomSerial(*cert));
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                    absl::ToTimeT(now - backdate)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                    absl::ToTimeT(now + validity)) == nullptr) {
    return Failed("cannot set the certificate validity");
  }
  RETURN_IF_ERROR(
      SetSubjectName(*X509_get_subject_name(cert.get()), common_name));
  const X509_NAME* issuer_name = issuer != nullptr
                                     ? X509_get_subject_name(issuer)
                                     : X509_get_subject_name(cert.get());
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1 ||
      X509_set_pubkey(cert.get(), &public_key) != 1) {
    return Failed("cannot set the certificate issuer and key");
  }
  return cert;
}

// One extension in OpenSSL's configuration syntax, e.g. "critical,CA:TRUE".
// Only constant texts come here; names go through AddSubjectAltNames.
[[nodiscard]] absl::Status AddExtension(X509& cert, const X509* issuer, int nid,
                                        const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, const_cast<X509*>(issuer != nullptr ? issuer : &cert),
                 &cert, nullptr, nullptr, 0);
  UniqueX509Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (ext == nullptr || X509_add_ext(&cert, ext.get(), -1) != 1) {
    return Failed(
        absl::StrCat("cannot add the certificate extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status AddKeyIdentifiers(X509& cert, const X509* issuer) {
  RETURN_IF_ERROR(
      AddExtension(cert, issuer, NID_subject_key_identifier, "hash"));
  return AddExtension(cert, issuer, NID_authority_key_identifier,
                      "keyid:always");
}

// A GENERAL_NAME of `type` (GEN_DNS or GEN_URI) with IA5 text `value`.
[[nodiscard]] absl::Status PushIa5Name(GENERAL_NAMES& names, int type,
                                       absl::string_view value) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (name == nullptr || text == nullptr ||
      ASN1_STRING_set(text, value.data(), static_cast<int>(value.size())) !=
          1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(text);
    return Failed("cannot build a subject alternative name");
  }
  GENERAL_NAME_set0_value(name, type, text);
  if (sk_GENERAL_NAME_push(&names, name) == 0) {
    GENERAL_NAME_free(name);
    return Failed("cannot build a subject alternative name");
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status PushIpName(GENERAL_NAMES& names,
                                      absl::string_view ip) {
  const std::string text(ip);
  ASN1_OCTET_STRING* address = a2i_IPADDRESS(text.c_str());
  GENERAL_NAME* name = address != nullptr ? GENERAL_NAME_new() : nullptr;
  if (name == nullptr) {
    ASN1_OCTET_STRING_free(address);
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("\"", ip, "\" is not an IP address"));
  }
  GENERAL_NAME_set0_value(name, GEN_IPADD, address);
  if (sk_GENERAL_NAME_push(&names, name) == 0) {
    GENERAL_NAME_free(name);
    return Failed("cannot build a subject alternative name");
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status AddSubjectAltNames(X509& cert,
                                              const GENERAL_NAMES& names) {
  if (X509_add1_ext_i2d(&cert, NID_subject_alt_name,
                        const_cast<GENERAL_NAMES*>(&names), /*crit=*/0,
                        X509V3_ADD_DEFAULT) != 1) {
    return Failed("cannot add the subject alternative names");
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status Sign(X509& cert, EVP_PKEY& key) {
  if (X509_sign(&cert, &key, EVP_sha256()) <= 0) {
    return Failed("cannot sign the certificate");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Duration ClientBackdate(absl::Duration validity) {
  return std::min(kBackdate, validity / 10);
}

absl::StatusOr<std::unique_ptr<CertificateAuthority>>
CertificateAuthority::Create(absl::string_view common_name, absl::Time now) {
  ASSIGN_OR_RETURN(UniqueEvpPkey key, NewEcKey());
  ASSIGN_OR_RETURN(UniqueX509 cert, NewCertificate(common_name, *key, nullptr,
                                                   now, kCaValidity));
  RETURN_IF_ERROR(AddExtension(*cert, nullptr, NID_basic_constraints,
                               "critical,CA:TRUE,pathlen:0"));
  RETURN_IF_ERROR(AddExtension(*cert, nullptr, NID_key_usage,
                               "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddKeyIdentifiers(*cert, nullptr));
  RETURN_IF_ERROR(Sign(*cert, *key));
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(std::move(cert), std::move(key)));
}

absl::StatusOr<std::unique_ptr<CertificateAuthority>>
CertificateAuthority::Load(absl::string_view certificate_pem,
                           absl::string_view key_pem,
                           absl::string_view cert_what,
                           absl::string_view key_what) {
  ASSIGN_OR_RETURN(UniqueX509 cert,
                   ParseCertificatePem(certificate_pem, cert_what));
  ASSIGN_OR_RETURN(UniqueEvpPkey key, ParsePrivateKeyPem(key_pem, key_what));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(absl::StrCat(
        key_what, ": is not the private key of the CA certificate in ",
        cert_what));
  }
  if (X509_check_ca(cert.get()) < 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat(cert_what, ": is not a CA certificate"));
  }
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(std::move(cert), std::move(key)));
}

absl::StatusOr<std::string> CertificateAuthority::CertificatePem() const {
  return CertificateToPem(*certificate_);
}

absl::StatusOr<std::string> CertificateAuthority::PrivateKeyPem() const {
  return PrivateKeyToPem(*key_);
}

absl::StatusOr<KeyAndCertificate> CertificateAuthority::IssueServerCertificate(
    const std::vector<SubjectAltName>& names, absl::Time now) const {
  if (names.empty()) {
    return absl::InvalidArgumentError(
        "a server certificate needs at least one name");
  }
  UniqueGeneralNames alt_names(sk_GENERAL_NAME_new_null());
  if (alt_names == nullptr) return Failed("cannot allocate names");
  for (const SubjectAltName& name : names) {
    if (name.type == SubjectAltName::Type::kIp) {
      RETURN_IF_ERROR(PushIpName(*alt_names, name.value));
    } else {
      RETURN_IF_ERROR(PushIa5Name(*alt_names, GEN_DNS, name.value));
    }
  }
  ASSIGN_OR_RETURN(UniqueEvpPkey key, NewEcKey());
  ASSIGN_OR_RETURN(UniqueX509 cert,
                   NewCertificate(names.front().value, *key, certificate_.get(),
                                  now, kServerValidity));
  RETURN_IF_ERROR(AddExtension(*cert, certificate_.get(), NID_basic_constraints,
                               "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExtension(*cert, certificate_.get(), NID_key_usage,
                               "critical,digitalSignature"));
  RETURN_IF_ERROR(
      AddExtension(*cert, certificate_.get(), NID_ext_key_usage, "serverAuth"));
  RETURN_IF_ERROR(AddKeyIdentifiers(*cert, certificate_.get()));
  RETURN_IF_ERROR(AddSubjectAltNames(*cert, *alt_names));
  RETURN_IF_ERROR(Sign(*cert, *key_));
  KeyAndCertificate out;
  ASSIGN_OR_RETURN(out.key_pem, PrivateKeyToPem(*key));
  ASSIGN_OR_RETURN(out.certificate_pem, CertificateToPem(*cert));
  return out;
}

absl::StatusOr<std::string> CertificateAuthority::IssueClientCertificate(
    absl::string_view csr_pem, absl::string_view device_id, absl::Time now,
    absl::Duration validity) const {
  RETURN_IF_ERROR(ValidateDeviceId(device_id));
  if (validity < kMinClientValidity || validity > kCaValidity) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client certificate lifetime ", absl::FormatDuration(validity),
        ": must be between ", absl::FormatDuration(kMinClientValidity),
        " and ten years"));
  }
  ASSIGN_OR_RETURN(UniqueX509Req csr, ParseVerifiedCsr(csr_pem));
  EVP_PKEY* public_key = X509_REQ_get0_pubkey(csr.get());
  if (public_key == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "csr_pem: the request carries no public key");
  }
  UniqueGeneralNames alt_names(sk_GENERAL_NAME_new_null());
  if (alt_names == nullptr) return Failed("cannot allocate names");
  RETURN_IF_ERROR(PushIa5Name(*alt_names, GEN_URI, DeviceUri(device_id)));
  ASSIGN_OR_RETURN(UniqueX509 cert,
                   NewCertificate(device_id, *public_key, certificate_.get(),
                                  now, validity, ClientBackdate(validity)));
  RETURN_IF_ERROR(AddExtension(*cert, certificate_.get(), NID_basic_constraints,
                               "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExtension(*cert, certificate_.get(), NID_key_usage,
                               "critical,digitalSignature"));
  RETURN_IF_ERROR(
      AddExtension(*cert, certificate_.get(), NID_ext_key_usage, "clientAuth"));
  RETURN_IF_ERROR(AddKeyIdentifiers(*cert, certificate_.get()));
  RETURN_IF_ERROR(AddSubjectAltNames(*cert, *alt_names));
  RETURN_IF_ERROR(Sign(*cert, *key_));
  return CertificateToPem(*cert);
}

}  // namespace mdefleet::tls

#include "common/tls/pem.h"

#include <openssl/pem.h>

#include <ctime>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mdefleet::tls {
namespace {

// A read-only memory BIO over `pem` (which must outlive it).
UniqueBio ReadBio(absl::string_view pem) {
  return UniqueBio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Refuses to ask for a passphrase: OpenSSL would otherwise prompt on the
// terminal for an encrypted key.
int NoPassphrase(char*, int, int, void*) { return -1; }

[[nodiscard]] absl::StatusOr<std::string> BioText(BIO& bio,
                                                  absl::string_view what) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(&bio, &data);
  if (size < 0 || (size > 0 && data == nullptr)) {
    return OpenSslError(absl::StatusCode::kInternal,
                        absl::StrCat("cannot write ", what, " as PEM"));
  }
  return std::string(data, static_cast<size_t>(size));
}

template <typename T, typename Write>
[[nodiscard]] absl::StatusOr<std::string> ToPem(const T& object, Write write,
                                                absl::string_view what) {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || write(bio.get(), const_cast<T*>(&object)) != 1) {
    return OpenSslError(absl::StatusCode::kInternal,
                        absl::StrCat("cannot write ", what, " as PEM"));
  }
  return BioText(*bio, what);
}

}  // namespace

absl::StatusOr<UniqueX509> ParseCertificatePem(absl::string_view pem,
                                               absl::string_view what) {
  UniqueBio bio = ReadBio(pem);
  UniqueX509 cert(bio == nullptr ? nullptr
                                 : PEM_read_bio_X509(bio.get(), nullptr,
                                                     NoPassphrase, nullptr));
  if (cert == nullptr) {
    return OpenSslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat(what,
                     ": no PEM certificate (-----BEGIN CERTIFICATE-----)"));
  }
  return cert;
}

absl::StatusOr<UniqueEvpPkey> ParsePrivateKeyPem(absl::string_view pem,
                                                 absl::string_view what) {
  UniqueBio bio = ReadBio(pem);
  UniqueEvpPkey key(
      bio == nullptr
          ? nullptr
          : PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return OpenSslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat(what,
                     ": no unencrypted PEM private key (-----BEGIN PRIVATE "
                     "KEY-----)"));
  }
  return key;
}

absl::StatusOr<UniqueX509Req> ParseCsrPem(absl::string_view pem,
                                          absl::string_view what) {
  UniqueBio bio = ReadBio(pem);
  UniqueX509Req csr(
      bio == nullptr
          ? nullptr
          : PEM_read_bio_X509_REQ(bio.get(), nullptr, NoPassphrase, nullptr));
  if (csr == nullptr) {
    return OpenSslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat(what,
                     ": no PEM certificate request (-----BEGIN CERTIFICATE "
                     "REQUEST-----)"));
  }
  return csr;
}

absl::StatusOr<std::string> CertificateToPem(const X509& cert) {
  return ToPem(cert, PEM_write_bio_X509, "certificate");
}

absl::StatusOr<std::string> PrivateKeyToPem(const EVP_PKEY& key) {
  return ToPem(
      key,
      [](BIO* bio, EVP_PKEY* k) {
        return PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr,
                                        nullptr);
      },
      "private key");
}

absl::StatusOr<std::string> CsrToPem(const X509_REQ& csr) {
  return ToPem(csr, PEM_write_bio_X509_REQ, "certificate request");
}

std::optional<absl::Time> AsnTimeToTime(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return std::nullopt;
  return absl::FromCivil(
      absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec),
      absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> NotAfter(const X509& cert) {
  const std::optional<absl::Time> not_after =
      AsnTimeToTime(X509_get0_notAfter(&cert));
  if (!not_after.has_value()) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "certificate has an unreadable notAfter");
  }
  return *not_after;
}

absl::Status CheckKeyPair(absl::string_view cert_pem, absl::string_view key_pem,
                          absl::string_view cert_what,
                          absl::string_view key_what, absl::Time now) {
  ASSIGN_OR_RETURN(UniqueX509 cert, ParseCertificatePem(cert_pem, cert_what));
  ASSIGN_OR_RETURN(UniqueEvpPkey key, ParsePrivateKeyPem(key_pem, key_what));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(absl::StrCat(
        key_what, ": is not the private key of the certificate in ",
        cert_what));
  }
  ASSIGN_OR_RETURN(const absl::Time not_after, NotAfter(*cert));
  if (not_after <= now) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_what, ": the certificate expired on ",
                     absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", not_after,
                                      absl::UTCTimeZone())));
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::tls

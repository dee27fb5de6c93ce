#include "tests/common/tls/tls_test_util.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/tls/openssl_handles.h"

namespace mdefleet::tls::testing {
namespace {

UniqueX509 Cert(absl::string_view pem) {
  UniqueBio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return UniqueX509(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

UniqueEvpPkey Key(absl::string_view pem) {
  UniqueBio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return UniqueEvpPkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

absl::Time TestNow() {
  return absl::FromCivil(absl::CivilSecond(2024, 3, 1, 12, 0, 0),
                         absl::UTCTimeZone());
}

std::string VerifyChain(absl::string_view cert_pem, absl::string_view ca_pem,
                        int purpose, absl::Time at) {
  UniqueX509 cert = Cert(cert_pem);
  UniqueX509 ca = Cert(ca_pem);
  if (cert == nullptr || ca == nullptr) return "unreadable PEM";
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(
      X509_STORE_new(), &X509_STORE_free);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(
      X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  X509_STORE_add_cert(store.get(), ca.get());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(at));
  const int ok = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (ok == 1) return "";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

bool CertificateMatchesHost(absl::string_view cert_pem,
                            absl::string_view host) {
  UniqueX509 cert = Cert(cert_pem);
  return cert != nullptr &&
         X509_check_host(cert.get(), host.data(), host.size(), 0, nullptr) == 1;
}

bool CertificateMatchesIp(absl::string_view cert_pem, absl::string_view ip) {
  UniqueX509 cert = Cert(cert_pem);
  return cert != nullptr &&
         X509_check_ip_asc(cert.get(), std::string(ip).c_str(), 0) == 1;
}

std::string CommonName(absl::string_view cert_pem) {
  UniqueX509 cert = Cert(cert_pem);
  if (cert == nullptr) return "";
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName,
                            cn, sizeof cn);
  return cn;
}

std::string CsrWithMismatchedKey(absl::string_view key_pem,
                                 absl::string_view signing_key_pem) {
  UniqueEvpPkey key = Key(key_pem);
  UniqueEvpPkey signer = Key(signing_key_pem);
  UniqueX509Req csr(X509_REQ_new());
  X509_REQ_set_pubkey(csr.get(), key.get());
  X509_REQ_sign(csr.get(), signer.get(), EVP_sha256());
  UniqueBio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), csr.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace mdefleet::tls::testing

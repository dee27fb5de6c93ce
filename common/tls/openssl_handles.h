// Owning handles for the OpenSSL objects the TLS code uses, and the one way
// OpenSSL failures become absl::Status.
#ifndef MDEFLEET_COMMON_TLS_OPENSSL_HANDLES_H_
#define MDEFLEET_COMMON_TLS_OPENSSL_HANDLES_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mdefleet::tls {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

using UniqueBio = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;
using UniqueBignum = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_free>>;
using UniqueEvpPkey =
    std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using UniqueX509 = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using UniqueX509Req =
    std::unique_ptr<X509_REQ, OpenSslDeleter<X509_REQ, X509_REQ_free>>;
using UniqueX509Extension =
    std::unique_ptr<X509_EXTENSION,
                    OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;

inline void FreeGeneralNames(GENERAL_NAMES* names) {
  GENERAL_NAMES_free(names);
}
using UniqueGeneralNames =
    std::unique_ptr<GENERAL_NAMES,
                    OpenSslDeleter<GENERAL_NAMES, FreeGeneralNames>>;

// `code` with "<what>: <OpenSSL's reason>" and OpenSSL's error queue emptied.
// The queue is per thread and shared with gRPC's own TLS code, so every
// failure path must drain it (a stale entry would be blamed on the next TLS
// handshake of this thread).
[[nodiscard]] absl::Status OpenSslError(absl::StatusCode code,
                                        absl::string_view what);

// Empties OpenSSL's error queue of this thread (after a failure handled
// without OpenSslError).
void ClearOpenSslErrors();

}  // namespace mdefleet::tls

#endif  // MDEFLEET_COMMON_TLS_OPENSSL_HANDLES_H_

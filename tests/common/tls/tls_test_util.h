// Checks of certificates made by mdefleet_tls, done with OpenSSL directly so
// that the tests do not trust the code they test.
#ifndef MDEFLEET_TESTS_COMMON_TLS_TLS_TEST_UTIL_H_
#define MDEFLEET_TESTS_COMMON_TLS_TLS_TEST_UTIL_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mdefleet::tls::testing {

// 2024-03-01 12:00 UTC.
absl::Time TestNow();

// Whether `cert_pem` chains to `ca_pem` for `purpose` (X509_PURPOSE_SSL_SERVER
// or X509_PURPOSE_SSL_CLIENT) at `at`; "" when it does, else OpenSSL's
// reason.
std::string VerifyChain(absl::string_view cert_pem, absl::string_view ca_pem,
                        int purpose, absl::Time at);

// X509_check_host / X509_check_ip_asc of the certificate.
bool CertificateMatchesHost(absl::string_view cert_pem, absl::string_view host);
bool CertificateMatchesIp(absl::string_view cert_pem, absl::string_view ip);

// The subject's common name.
std::string CommonName(absl::string_view cert_pem);

// A CSR carrying `public_key_pem_source`'s public key but signed with
// `signing_key_pem`: a request whose sender does not hold the key.
std::string CsrWithMismatchedKey(absl::string_view key_pem,
                                 absl::string_view signing_key_pem);

}  // namespace mdefleet::tls::testing

#endif  // MDEFLEET_TESTS_COMMON_TLS_TLS_TEST_UTIL_H_

// Renewal of the runner's TLS client certificate before it expires: once
// less than a third of its lifetime is left, the runner makes a new key,
// asks the server to certify it over the channel its current certificate
// authenticates (RenewClientCertificate), saves the pair crash-safely and
// presents the new certificate from then on. The server keeps accepting the
// current certificate until the new one is first presented, so a runner
// that dies in between is not locked out: it renews again.
#ifndef MDEFLEET_RUNNER_CLIENT_CERTIFICATE_RENEWAL_H_
#define MDEFLEET_RUNNER_CLIENT_CERTIFICATE_RENEWAL_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "runner/client/backoff.h"
#include "runner/client/identity_store.h"

namespace mdefleet::runner {

// A private key for the runner's TLS client certificate and a certificate
// signing request for it (EnrollRequest.csr_pem,
// RenewClientCertificateRequest.csr_pem).
struct ClientKeyRequest {
  std::string key_pem;  // secret: never logged
  std::string csr_pem;
};

// When a certificate is valid (notBefore, notAfter).
struct CertificateValidity {
  absl::Time not_before;
  absl::Time not_after;
};

// When a certificate valid over `validity` is due for renewal: when a third
// of its lifetime (notAfter - notBefore) is left.
absl::Time RenewalTime(const CertificateValidity& validity);

// What the renewer does through the rest of the runner (injected: OpenSSL
// and gRPC stay out of it, and tests drive it without either).
struct RenewalHooks {
  // A new key and CSR (`name`: the host name, informational).
  std::function<absl::StatusOr<ClientKeyRequest>(const std::string& name)>
      make_key;
  // RenewClientCertificate: the new certificate (PEM) for `csr_pem`.
  std::function<absl::StatusOr<std::string>(const std::string& csr_pem)> renew;
  // The validity of a certificate (PEM).
  std::function<absl::StatusOr<CertificateValidity>(
      const std::string& certificate_pem)>
      validity;
  // Stores the renewed pair crash-safely (SaveRenewedClientCertificate).
  std::function<absl::Status(const ClientCertificate&)> save;
  // Presents the pair on the following calls (a new channel).
  std::function<void(const ClientCertificate&)> use;
  // One log line (never key material).
  std::function<void(absl::string_view)> log;
};

class CertificateRenewer {
 public:
  // `name`: the host name, for the log and the CSR.
  CertificateRenewer(std::string name, const Clock& clock, RenewalHooks hooks,
                     uint64_t seed);

  // The certificate the runner presents now (at start, after enrollment,
  // after a renewal). An unreadable one is logged and never renewed.
  void Track(const std::string& certificate_pem);

  // Renews the tracked certificate when it is due (see RenewalTime) and no
  // failed attempt asks to wait; call at start and between polls (cheap
  // when nothing is due). True when a new certificate is in use. A failure
  // is logged and retried after a backoff (up to 10 minutes); an expired
  // certificate cannot be renewed (the server refuses it): logged once.
  bool MaybeRenew();

  // When MaybeRenew will next do something; InfiniteFuture when never.
  absl::Time next_attempt() const;

 private:
  std::string name_;
  const Clock& clock_;
  RenewalHooks hooks_;
  Backoff backoff_;
  std::optional<CertificateValidity> current_;
  absl::Time retry_at_ = absl::InfinitePast();
  bool expired_logged_ = false;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_CERTIFICATE_RENEWAL_H_

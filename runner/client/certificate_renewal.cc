#include "runner/client/certificate_renewal.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace mdefleet::runner {
namespace {

constexpr absl::Duration kFirstRetry = absl::Seconds(10);
constexpr absl::Duration kMaxRetry = absl::Minutes(10);

std::string UtcText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

}  // namespace

absl::Time RenewalTime(const CertificateValidity& validity) {
  const absl::Duration lifetime =
      std::max(validity.not_after - validity.not_before, absl::ZeroDuration());
  return validity.not_after - lifetime / 3;
}

CertificateRenewer::CertificateRenewer(std::string name, const Clock& clock,
                                       RenewalHooks hooks, uint64_t seed)
    : name_(std::move(name)),
      clock_(clock),
      hooks_(std::move(hooks)),
      backoff_(kFirstRetry, kMaxRetry, seed) {}

void CertificateRenewer::Track(const std::string& certificate_pem) {
  current_.reset();
  expired_logged_ = false;
  retry_at_ = absl::InfinitePast();
  backoff_.Reset();
  if (!hooks_.validity) return;
  absl::StatusOr<CertificateValidity> validity =
      hooks_.validity(certificate_pem);
  if (!validity.ok()) {
    hooks_.log(absl::StrCat(name_, ": cannot read the client certificate (",
                            validity.status().message(),
                            "); it will not be renewed"));
    return;
  }
  current_ = *validity;
}

absl::Time CertificateRenewer::next_attempt() const {
  if (!current_.has_value() || expired_logged_) return absl::InfiniteFuture();
  return std::max(RenewalTime(*current_), retry_at_);
}

bool CertificateRenewer::MaybeRenew() {
  if (!current_.has_value() || !hooks_.make_key || !hooks_.renew ||
      !hooks_.save || !hooks_.use) {
    return false;
  }
  const absl::Time now = clock_.Now();
  if (now < next_attempt()) return false;
  if (now >= current_->not_after) {
    hooks_.log(absl::StrCat(
        name_, ": the client certificate expired at ",
        UtcText(current_->not_after),
        " before it could be renewed; the server refuses it: delete identity "
        "and client.* in the state directory to enroll again"));
    expired_logged_ = true;
    return false;
  }
  auto fail = [&](absl::string_view what, const absl::Status& status) {
    const absl::Duration wait = backoff_.Next();
    retry_at_ = now + wait;
    hooks_.log(absl::StrCat(
        name_, ": client certificate renewal failed (", what, ": ",
        status.message(), "); the current one, valid until ",
        UtcText(current_->not_after), ", is used meanwhile; retrying in ",
        absl::FormatDuration(absl::Trunc(wait, absl::Seconds(1)))));
    return false;
  };
  absl::StatusOr<ClientKeyRequest> key = hooks_.make_key(name_);
  if (!key.ok()) return fail("new key", key.status());
  absl::StatusOr<std::string> certificate = hooks_.renew(key->csr_pem);
  if (!certificate.ok()) return fail("server", certificate.status());
  absl::StatusOr<CertificateValidity> validity = hooks_.validity(*certificate);
  if (!validity.ok()) return fail("new certificate", validity.status());
  const ClientCertificate renewed{std::move(key->key_pem),
                                  *std::move(certificate)};
  // Saved before use: a crash leaves the old pair or the new one, and the
  // server accepts either until the new one is presented.
  if (absl::Status saved = hooks_.save(renewed); !saved.ok()) {
    return fail("saving it", saved);
  }
  hooks_.use(renewed);
  current_ = *validity;
  retry_at_ = absl::InfinitePast();
  backoff_.Reset();
  hooks_.log(absl::StrCat(name_,
                          ": renewed the client certificate (valid "
                          "until ",
                          UtcText(validity->not_after),
                          "); presenting it from now on"));
  return true;
}

}  // namespace mdefleet::runner

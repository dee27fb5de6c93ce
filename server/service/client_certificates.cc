#include "server/service/client_certificates.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/certificate_info_cache.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

std::string UtcText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

}  // namespace

PeerIdentity PeerPresenting(absl::string_view certificate_pem) {
  // One per process: a memo of a pure function, shared by every service.
  // 2^17 certificates: more runners than one server's descriptors allow.
  static CertificateInfoCache* const cache = new CertificateInfoCache(1 << 17);
  PeerIdentity peer;
  peer.tls = true;
  peer.has_client_certificate = true;
  std::optional<tls::ClientCertificateInfo> info = cache->Read(certificate_pem);
  if (!info.has_value()) return peer;
  peer.certificate_device_id = std::move(info->device_id);
  peer.certificate_sha256 = std::move(info->sha256);
  peer.certificate_serial = std::move(info->serial);
  peer.certificate_key_sha256 = std::move(info->key_sha256);
  peer.certificate_not_after = info->not_after;
  return peer;
}

absl::StatusOr<CertificateMatch> MatchDeviceCertificate(
    absl::string_view device_id, const store::DeviceCertificates& stored,
    const PeerIdentity& peer, bool required, absl::Time now) {
  if (!peer.has_client_certificate) {
    if (!required) return CertificateMatch::kNotPresented;
    return absl::UnauthenticatedError(
        "client certificate: required by this server, and the call presented "
        "none: a runner presents the certificate it was issued at enrollment; "
        "one without any must enroll it again over TLS (--ca-cert) to get one");
  }
  if (peer.certificate_device_id.empty() || peer.certificate_sha256.empty()) {
    return absl::UnauthenticatedError(
        "client certificate: it names no mdefleet device (a runner presents "
        "the certificate it was issued at enrollment)");
  }
  if (peer.certificate_device_id != device_id) {
    return absl::UnauthenticatedError(
        "client certificate belongs to another device: it does not match "
        "the device token");
  }
  if (peer.certificate_not_after <= now) {
    return absl::UnauthenticatedError(absl::StrCat(
        "client certificate (serial ", peer.certificate_serial, ") expired at ",
        UtcText(peer.certificate_not_after),
        ": runners renew it before it expires; this one must enroll again"));
  }
  if (!stored.current_sha256.has_value()) return CertificateMatch::kAdopted;
  if (peer.certificate_sha256 == *stored.current_sha256) {
    return CertificateMatch::kCurrent;
  }
  if (!stored.next_sha256.empty() &&
      peer.certificate_sha256 == stored.next_sha256) {
    return CertificateMatch::kNext;
  }
  return absl::UnauthenticatedError(absl::StrCat(
      "client certificate (serial ", peer.certificate_serial,
      ") is not the current certificate of device ", device_id,
      ": it was replaced (renewal or a new enrollment) or never issued to "
      "this device's runner; present the certificate last issued"));
}

absl::StatusOr<CertificateMatch> CheckDeviceCertificate(
    store::Connection& db, absl::string_view device_id,
    const PeerIdentity& peer, bool required, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<store::DeviceCertificateState> state,
                   store::GetDeviceCertificates(db, device_id));
  if (!state) {
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate: no device ", device_id));
  }
  if (state->revoked) {
    return absl::PermissionDeniedError(
        absl::StrCat("client certificate: device ", device_id,
                     " was revoked by an admin; its certificates prove "
                     "nothing"));
  }
  ASSIGN_OR_RETURN(CertificateMatch match,
                   MatchDeviceCertificate(device_id, state->certificates, peer,
                                          required, now));
  const int64_t micros = store::ToMicros(now);
  if (match == CertificateMatch::kNext) {
    RETURN_IF_ERROR(store::PromoteNextCertificate(db, device_id, micros));
  } else if (match == CertificateMatch::kAdopted) {
    RETURN_IF_ERROR(store::SetCurrentCertificate(
        db, device_id,
        store::CertificateRecord{
            .sha256 = peer.certificate_sha256,
            .serial = peer.certificate_serial,
            .not_after = store::ToMicros(peer.certificate_not_after)},
        micros));
  }
  return match;
}

std::string DescribeCertificateChange(absl::string_view device_id,
                                      CertificateMatch match,
                                      const PeerIdentity& peer) {
  switch (match) {
    case CertificateMatch::kNext:
      return absl::StrCat("device ", device_id,
                          " presented its renewed client certificate (serial ",
                          peer.certificate_serial,
                          "): it is now the device's certificate; the "
                          "previous one is refused from now on");
    case CertificateMatch::kAdopted:
      return absl::StrCat(
          "device ", device_id,
          " enrolled before client certificates were recorded: bound it to "
          "the certificate it presented (serial ",
          peer.certificate_serial, ", valid until ",
          UtcText(peer.certificate_not_after), ")");
    case CertificateMatch::kNotPresented:
    case CertificateMatch::kCurrent:
      break;
  }
  return "";
}

store::CertificateRecord RecordOf(const tls::ClientCertificateInfo& info) {
  return {.sha256 = info.sha256,
          .serial = info.serial,
          .not_after = store::ToMicros(info.not_after)};
}

bool IssuesClientCertificate(const tls::CertificateAuthority* ca,
                             const PeerIdentity& peer,
                             const v1::EnrollRequest& request) {
  return ca != nullptr && peer.tls && !request.csr_pem().empty();
}

absl::Status CheckEnrollmentCsr(const tls::CertificateAuthority* ca,
                                const PeerIdentity& peer,
                                const v1::EnrollRequest& request,
                                bool required) {
  if (required && peer.tls) {
    if (ca == nullptr) {
      return absl::FailedPreconditionError(
          "client certificates are required, and this server cannot issue "
          "them (no CA key in its TLS directory)");
    }
    if (request.csr_pem().empty()) {
      return absl::InvalidArgumentError(
          "csr_pem: required: this server requires each runner's client "
          "certificate, issued at enrollment for the key of this request "
          "(upgrade the runner, or serve --allow-token-only-runners)");
    }
  }
  if (!IssuesClientCertificate(ca, peer, request)) return absl::OkStatus();
  return tls::VerifyCsr(request.csr_pem());
}

absl::StatusOr<std::optional<std::string>> IssueEnrollmentCertificate(
    const tls::CertificateAuthority* ca, const PeerIdentity& peer,
    const v1::EnrollRequest& request, absl::string_view device_id,
    absl::Time now, absl::Duration lifetime) {
  if (!IssuesClientCertificate(ca, peer, request)) return std::nullopt;
  return ca->IssueClientCertificate(request.csr_pem(), device_id, now,
                                    lifetime);
}

}  // namespace mdefleet::service

#include "server/service/enrollment_proof.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/auth/authenticator.h"
#include "server/auth/constant_time.h"
#include "server/service/client_certificates.h"
#include "server/store/device_access.h"

namespace mdefleet::service {
namespace {

[[nodiscard]] absl::StatusOr<std::optional<DeviceProof>> ProvenByCertificate(
    store::Connection& db, const PeerIdentity& peer, absl::Time now) {
  const std::string& device_id = peer.certificate_device_id;
  if (device_id.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<store::EnrollmentStanding> device,
                   store::StandingOfDevice(db, device_id));
  if (!device) return std::nullopt;
  // Revoked: proven as far as the certificate goes; the caller refuses it.
  if (!device->revoked) {
    // The device-certificate check: the certificate must be D's current
    // one (a renewed one presented first here becomes current).
    absl::StatusOr<CertificateMatch> match =
        CheckDeviceCertificate(db, device_id, peer, /*required=*/true, now);
    if (!match.ok()) return std::nullopt;
  }
  return DeviceProof{std::string(kProofClientCertificate), *std::move(device)};
}

[[nodiscard]] absl::StatusOr<std::optional<DeviceProof>> ProvenByToken(
    store::Connection& db, absl::string_view token) {
  const absl::Status wrong = absl::PermissionDeniedError(
      "device_token: not the current token of any device (a device's token "
      "changes at every enrollment); enroll without device_token to enroll "
      "as a new device");
  if (!absl::StartsWith(token, auth::kDevicePrefix)) return wrong;
  const std::string hash = Sha256Hex(token);
  ASSIGN_OR_RETURN(std::optional<store::DeviceCredential> credential,
                   store::DeviceForToken(db, hash));
  if (!credential || !ConstantTimeEquals(credential->token_hash, hash)) {
    return wrong;
  }
  ASSIGN_OR_RETURN(std::optional<store::EnrollmentStanding> device,
                   store::StandingOfDevice(db, credential->device_id));
  if (!device) return wrong;
  return DeviceProof{std::string(kProofDeviceToken), *std::move(device)};
}

}  // namespace

bool DeviceTokenProofAllowed(const tls::CertificateAuthority* client_ca,
                             const PeerIdentity& peer) {
  return !peer.tls || client_ca == nullptr;
}

absl::StatusOr<std::optional<DeviceProof>> ProvenDevice(
    store::Connection& db, const tls::CertificateAuthority* client_ca,
    const PeerIdentity& peer, const v1::EnrollRequest& request,
    absl::Time now) {
  if (!request.device_token().empty()) {
    if (!DeviceTokenProofAllowed(client_ca, peer)) {
      return absl::InvalidArgumentError(
          "device_token: not accepted over TLS, where a device proves itself "
          "with its client certificate: present the certificate it was "
          "issued to re-enroll it");
    }
    return ProvenByToken(db, request.device_token());
  }
  if (peer.has_client_certificate) return ProvenByCertificate(db, peer, now);
  return std::nullopt;
}

}  // namespace mdefleet::service

// Proof that the caller of RunnerService.Enroll holds an existing device:
// the one place that decides it (ProvenDevice). Enroll hands out an existing
// device id only on such a proof, or after an admin's identity reset; the
// host identity a caller reports is never proof (any viewer reads its hash,
// any administrator of the host its MachineGuid).
#ifndef MDEFLEET_SERVER_SERVICE_ENROLLMENT_PROOF_H_
#define MDEFLEET_SERVER_SERVICE_ENROLLMENT_PROOF_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/tls/certificate_authority.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/service/peer_identity.h"
#include "server/store/enrollment.h"
#include "server/store/sqlite.h"

namespace mdefleet::service {

// How the proof was made (device_enrollments.proof, the audit detail).
inline constexpr absl::string_view kProofClientCertificate =
    "client certificate";
inline constexpr absl::string_view kProofDeviceToken = "device token";

struct DeviceProof {
  std::string method;  // kProofClientCertificate or kProofDeviceToken
  // The device proven (revoked ones included: the caller refuses them, so
  // that the refusal is audited on the device).
  store::EnrollmentStanding device;
};

// Whether EnrollRequest.device_token may prove a device on this call: only
// where no client certificates exist, i.e. the call is not over TLS or the
// server holds no CA key to issue them (`client_ca` null).
bool DeviceTokenProofAllowed(const tls::CertificateAuthority* client_ca,
                             const PeerIdentity& peer);

// The existing device the caller proves it holds, read in the caller's
// transaction; nullopt when it proves none (then it enrolls as a new device,
// or takes over a device whose identity an admin reset):
// - a verified TLS client certificate naming device D that is D's current
//   (or renewed) certificate by the device-certificate check
//   (CheckDeviceCertificate, client_certificates.h; an older certificate of
//   D proves nothing), with D in the database (a certificate naming an
//   unknown device proves none); a revoked D is returned as proven so that
//   the caller refuses it with an audit entry;
// - where DeviceTokenProofAllowed: EnrollRequest.device_token, the current
//   token of device D (compared in constant time; never logged).
// InvalidArgument "device_token: ..." for a token sent where client
// certificates are the proof; PermissionDenied "device_token: ..." for a
// token that is no device's current token.
[[nodiscard]] absl::StatusOr<std::optional<DeviceProof>> ProvenDevice(
    store::Connection& db, const tls::CertificateAuthority* client_ca,
    const PeerIdentity& peer, const v1::EnrollRequest& request,
    absl::Time now);

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ENROLLMENT_PROOF_H_

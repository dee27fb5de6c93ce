// The client certificate each device is bound to (migration 0008): its
// current one and a renewed one it has not presented yet. Fingerprints,
// serials and dates only: nothing here is secret.
#ifndef MDEFLEET_SERVER_STORE_DEVICE_CERTIFICATES_H_
#define MDEFLEET_SERVER_STORE_DEVICE_CERTIFICATES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// One certificate the server issued to a device.
struct CertificateRecord {
  std::string sha256{};   // lowercase hex SHA-256 of the DER certificate
  std::string serial{};   // lowercase hex serial number
  int64_t not_after = 0;  // microseconds since the epoch
};

// What a runner call is checked against (read with the device's token, so
// the check costs no extra query).
struct DeviceCertificates {
  // The current certificate's fingerprint; "" when none was issued (the
  // device enrolled over plaintext or without a CSR); nullopt when the device
  // enrolled before certificates were recorded (the first valid certificate
  // naming it is adopted).
  std::optional<std::string> current_sha256{};
  // A renewed certificate not presented yet; "" when none.
  std::string next_sha256{};
};

// A device's standing as certificate checks need it.
struct DeviceCertificateState {
  bool revoked = false;
  DeviceCertificates certificates;
  std::string current_serial;  // "" when unknown
};

// nullopt when there is no device `device_id`.
[[nodiscard]] absl::StatusOr<std::optional<DeviceCertificateState>>
GetDeviceCertificates(Connection& db, absl::string_view device_id);

// Records `certificate` as the device's current certificate (enrollment, or
// adoption of a certificate issued before they were recorded) and drops a
// pending renewal; nullopt: the device now has no certificate (enrolled
// without one), and none is accepted. NotFound when there is no such device.
[[nodiscard]] absl::Status SetCurrentCertificate(
    Connection& db, absl::string_view device_id,
    const std::optional<CertificateRecord>& certificate, int64_t now);

// Records a renewal: `certificate` is accepted beside the current one until
// PromoteNextCertificate (it replaces an earlier pending one, which was then
// never presented). NotFound when there is no such device.
[[nodiscard]] absl::Status SetNextCertificate(
    Connection& db, absl::string_view device_id,
    const CertificateRecord& certificate);

// The pending certificate was presented: it becomes the current one, and the
// previous current one is refused from now on. FailedPrecondition when the
// device has no pending certificate.
[[nodiscard]] absl::Status PromoteNextCertificate(Connection& db,
                                                  absl::string_view device_id,
                                                  int64_t now);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_DEVICE_CERTIFICATES_H_

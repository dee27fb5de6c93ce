// Enrollment into existing devices: who holds a host identity, a device's
// standing for a re-enrollment, admins' identity resets, and the per-device
// record of re-enrollments and refused claims (GetDevice). The decisions
// are the service's (server/service/runner_handlers.cc); this only reads and
// writes.
#ifndef MDEFLEET_SERVER_STORE_ENROLLMENT_H_
#define MDEFLEET_SERVER_STORE_ENROLLMENT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// What enrollment needs to know of an existing device.
struct EnrollmentStanding {
  std::string device_id;
  std::string hostname;
  bool revoked = false;
  // The labels of the enrollment secret it enrolled with.
  std::map<std::string, std::string> scope_labels;
  std::string host_identity_sha256;
  std::string duplicate_of;
  // An admin's reset-identity waits for the next enrollment.
  bool identity_reset_pending = false;
};

// The device holding host identity `host_identity_sha256` (the one that is
// not a duplicate of another); nullopt when none. "" matches no device.
[[nodiscard]] absl::StatusOr<std::optional<EnrollmentStanding>> IdentityHolder(
    Connection& db, absl::string_view host_identity_sha256);

// The standing of device `device_id`; nullopt when there is no such device.
[[nodiscard]] absl::StatusOr<std::optional<EnrollmentStanding>>
StandingOfDevice(Connection& db, absl::string_view device_id);

// device_enrollments.kind values.
inline constexpr absl::string_view kEnrollmentReenrolled = "reenrolled";
inline constexpr absl::string_view kEnrollmentIdentityReset = "identity_reset";
inline constexpr absl::string_view kEnrollmentRefusedClaim = "refused_claim";

// One enrollment into an existing device, or one refused claim of it.
struct EnrollmentEvent {
  std::string device_id;  // the device enrolled into or claimed
  int64_t at = 0;
  std::string kind;         // one of the kEnrollment* values
  std::string proof;        // reenrolled: "client certificate", "device token"
  std::string secret_name;  // the enrollment secret's name
  std::string hostname;     // as the enrolling host reported it
  std::string new_device_id;  // refused_claim: the device created instead
  std::string reason;         // refused_claim: why
};

// Appends `event` in the caller's transaction.
[[nodiscard]] absl::Status RecordEnrollmentEvent(Connection& db,
                                                 const EnrollmentEvent& event);

// Lets the next enrollment reporting the device's host identity take it
// over (cleared by ReenrollDevice). NotFound naming device_id for an
// unknown device; FailedPrecondition naming device_id for a revoked one, one
// without a host identity (no enrollment can match it) and a duplicate
// (whose identity another device holds).
[[nodiscard]] absl::Status ResetDeviceIdentity(Connection& db,
                                               absl::string_view device_id,
                                               absl::string_view reset_by,
                                               absl::string_view reason,
                                               int64_t now);

// How many refused claims GetDevice lists (newest first).
inline constexpr int kRecentRefusedClaims = 10;

// The device's enrollment history (Device.enrollment). NotFound naming
// device_id when there is no such device.
[[nodiscard]] absl::StatusOr<v1::DeviceEnrollment> ReadDeviceEnrollment(
    Connection& db, absl::string_view device_id);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_ENROLLMENT_H_

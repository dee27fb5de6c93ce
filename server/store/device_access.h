// A device's standing: its token, revocation, the labels its enrollment
// secret fixed, and tokens presented from another host (cloned runners).
// What enrollment needs of existing devices: enrollment.h.
#ifndef MDEFLEET_SERVER_STORE_DEVICE_ACCESS_H_
#define MDEFLEET_SERVER_STORE_DEVICE_ACCESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/store/device_certificates.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

struct DeviceCredential {
  std::string device_id;
  std::string token_hash;
  bool revoked = false;
  // The client certificates it is bound to: every runner call checks the one
  // it presents against these (server/service/client_certificates.h).
  DeviceCertificates certificates;
};

// The device a token hash belongs to, nullopt when none. One indexed read,
// carrying what the per-call certificate check needs.
[[nodiscard]] absl::StatusOr<std::optional<DeviceCredential>> DeviceForToken(
    Connection& db, absl::string_view token_hash);

struct DeviceAccess {
  std::optional<int64_t> revoked_at;
  std::string revoked_reason;
  std::map<std::string, std::string> scope_labels;
  std::string host_identity_sha256;
  std::optional<int64_t> runner_clone_seen_at;
};
// NotFound naming device_id when there is no such device.
[[nodiscard]] absl::StatusOr<DeviceAccess> GetDeviceAccess(
    Connection& db, absl::string_view device_id);

// Keeps the labels of the secret the device enrolled with.
[[nodiscard]] absl::Status SetDeviceScopeLabels(
    Connection& db, absl::string_view device_id,
    const std::map<std::string, std::string>& labels);

// Revokes the device and cancels its queued, leased and running tasks
// (their runners are told to stop at their next report). Returns how many
// tasks it cancelled. FailedPrecondition when already revoked.
[[nodiscard]] absl::StatusOr<int> RevokeDevice(Connection& db,
                                               absl::string_view device_id,
                                               absl::string_view reason,
                                               int64_t now,
                                               WriteEffects* effects);

// Records that the device's token came from another host identity. True the
// first time for that identity (the moment to log it).
[[nodiscard]] absl::StatusOr<bool> RecordRunnerClone(
    Connection& db, absl::string_view device_id,
    absl::string_view other_identity_sha256, int64_t now);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_DEVICE_ACCESS_H_

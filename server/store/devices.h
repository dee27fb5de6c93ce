// The device inventory: enrollment, fact refreshes and filtered queries.
#ifndef MDEFLEET_SERVER_STORE_DEVICES_H_
#define MDEFLEET_SERVER_STORE_DEVICES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

struct DeviceRow {
  std::string id;
  v1::DeviceFacts facts;  // os_family and mde_state as stored (derived)
  int64_t enrolled_at = 0;
  int64_t last_seen_at = 0;
  uint32_t needs = 0;  // FactNeeds of the stored facts (common/device_needs.h)
  // Other devices reporting the same senseGuid hash, sorted.
  std::vector<std::string> clone_of;
  // The device whose host identity this one's enrollment reported without
  // proof ("" for a device holding its own identity).
  std::string duplicate_of;
  bool revoked = false;
  // Other devices reporting the same host name (ASCII case-insensitive),
  // sorted.
  std::vector<std::string> hostname_shared_with;
};

// Every set criterion must match (AND). Empty/zero means "any".
struct DeviceQuery {
  std::vector<std::string> device_ids;
  std::vector<v1::OsFamily> os_families;
  std::map<std::string, std::string> labels;
  v1::MdeState mde_state = v1::MDE_STATE_UNSPECIFIED;
  std::optional<int64_t> seen_since;   // last_seen_at >= this
  std::optional<int64_t> seen_before;  // last_seen_at <= this
  std::string hostname_glob;
  // Devices with any of these needs (NeedBit mask); 0: any device.
  // kNeedCloned matches devices sharing a senseGuid hash; kNeedOffline
  // matches onboarded devices last seen before offline_before;
  // kNeedDuplicateIdentity unrevoked devices with a duplicate_of.
  // kNeedDuplicateHostname devices sharing their host name.
  uint32_t needs_any = 0;
  int64_t offline_before = 0;
  // Keyset paging in (hostname, id) order: rows strictly after this key.
  std::optional<std::pair<std::string, std::string>> after;
  int64_t limit = -1;  // -1: no limit
};

struct EnrollResult {
  std::string device_id;
  bool new_device = false;
  // Devices that already reported this device's senseGuid (a clone appeared).
  std::vector<std::string> new_clone_of;
};

// Replaces facts->host_identity (the raw MachineGuid a runner reports) with
// its hash, host_identity_sha256 ("" for none); a host_identity_sha256 the
// runner sent is overwritten. Called on every fact report as it arrives:
// the raw value is never stored, logged or shown.
void HashHostIdentity(v1::DeviceFacts* facts);

// Creates device `new_id` for an enrolling host with the token hash.
// `facts` must already carry the derived os_family and mde_state and the
// hashed host identity. `duplicate_of`: the device whose host identity the
// host reported without proving it holds it ("" for none).
[[nodiscard]] absl::StatusOr<EnrollResult> CreateDevice(
    Connection& db, const v1::DeviceFacts& facts, absl::string_view token_hash,
    absl::string_view new_id, absl::string_view duplicate_of, int64_t now);

// Enrolls a host into the existing device `device_id` (its proof, or an
// identity reset, was checked by the caller): the new token hash, facts
// (host identity hash included) and labels replace the old ones, and a
// pending identity reset is used up. NotFound naming device_id when there
// is no such device.
[[nodiscard]] absl::StatusOr<EnrollResult> ReenrollDevice(
    Connection& db, absl::string_view device_id, const v1::DeviceFacts& facts,
    absl::string_view token_hash, int64_t now);

// Records a heartbeat; replaces facts, labels and the derived needs when
// `facts` is set and differs from what is stored. When the refresh gives the
// device a senseGuid hash other devices already report, their ids go to
// `new_clone_of` (if not null): the moment a clone appears.
[[nodiscard]] absl::Status RefreshDevice(
    Connection& db, absl::string_view device_id, const v1::DeviceFacts* facts,
    int64_t now, std::vector<std::string>* new_clone_of = nullptr);

// Whether the stored facts of `device_id` are `facts` (byte for byte, as
// RefreshDevice stores them); `sense_hash_changed` (if not null): whether
// its stored senseGuid hash differs. NotFound naming device_id.
[[nodiscard]] absl::StatusOr<bool> StoredFactsMatch(
    Connection& db, absl::string_view device_id, const v1::DeviceFacts& facts,
    bool* sense_hash_changed = nullptr);

// Moves each device's last_seen_at forward to its time (never back): the
// batched record of polls that found nothing to do (service/seen_flusher.h).
// Devices that no longer exist are skipped.
[[nodiscard]] absl::Status RecordSeen(
    Connection& db, absl::Span<const std::pair<std::string, int64_t>> seen);

// Recomputes the stored needs of devices whose mask was computed by older
// rules (kNeedRulesVersion). Returns how many rows changed.
[[nodiscard]] absl::StatusOr<int64_t> RecomputeStaleNeeds(Connection& db);
// Recomputes the stored needs of every device (the tenant's MDE workspace
// ids changed). Returns how many rows changed.
[[nodiscard]] absl::StatusOr<int64_t> RecomputeAllNeeds(Connection& db);

[[nodiscard]] absl::StatusOr<std::optional<DeviceRow>> GetDevice(
    Connection& db, absl::string_view device_id);

[[nodiscard]] absl::StatusOr<std::vector<DeviceRow>> QueryDevices(
    Connection& db, const DeviceQuery& query);

// Number of devices matching (paging and limit ignored).
[[nodiscard]] absl::StatusOr<int64_t> CountDevices(Connection& db,
                                                   const DeviceQuery& query);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_DEVICES_H_

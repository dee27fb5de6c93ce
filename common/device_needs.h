// What a device needs, derived from its facts: the fleet summary's "devices
// needing action" and `devices list --needs KIND`. One table (AllNeeds) says
// what each need means and which job kind provides it, so the summary, the
// device view and the --needs filter cannot disagree.
#ifndef MDEFLEET_COMMON_DEVICE_NEEDS_H_
#define MDEFLEET_COMMON_DEVICE_NEEDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet {

// Bits of a need mask. Values are stored in the database (devices.needs):
// never renumber, only append.
enum NeedBit : uint32_t {
  kNeedNotInstalled = 1u << 0,
  kNeedNotOnboarded = 1u << 1,
  kNeedSenseNotRunning = 1u << 2,
  kNeedMmaReporting = 1u << 3,
  kNeedCloudProtectionOff = 1u << 4,
  kNeedTamperProtectionOff = 1u << 5,
  kNeedPassiveModeMissing = 1u << 6,
  kNeedProxyMismatch = 1u << 7,
  kNeedHealthUnknown = 1u << 8,
  // Not derived from one device's facts: the server sets them.
  kNeedCloned = 1u << 9,    // another device reports the same senseGuid
  kNeedOffline = 1u << 10,  // onboarded, runner unseen for the offline window
  // Enrolled reporting another device's host identity without proving it
  // holds that device (unrevoked; devices.duplicate_of).
  kNeedDuplicateIdentity = 1u << 11,
  // Another device reports the same host name (ASCII case-insensitive). Set
  // by the server, never stored.
  kNeedDuplicateHostname = 1u << 12,
};

// Bumped whenever FactNeeds changes meaning, so the server recomputes the
// stored masks of devices that do not report again (offline ones).
inline constexpr int kNeedRulesVersion = 1;  // bump when FactNeeds changes

struct NeedInfo {
  NeedBit bit;
  absl::string_view id;           // stable: "not_onboarded"
  absl::string_view description;  // "not onboarded to Defender for Endpoint"
  absl::string_view job_kind;     // the job that helps
  absl::string_view advice;       // what to do, one line
};

// Every need, in the order the fleet summary shows them.
const std::vector<NeedInfo>& AllNeeds();

// The needs that follow from one device's facts (not kNeedCloned,
// kNeedOffline, kNeedDuplicateIdentity, kNeedDuplicateHostname) and the
// tenant's MDE workspace ids (common/mde_workspaces.h: only those make
// kNeedMmaReporting; none configured, any workspace might be one). `facts`
// must carry the derived os_family and mde_state.
uint32_t FactNeeds(const v1::DeviceFacts& facts,
                   absl::Span<const std::string> mde_workspace_ids = {});

// The needs of `mask` as proto messages, in AllNeeds order.
std::vector<v1::DeviceNeed> DescribeNeeds(uint32_t mask);

// The needs job `kind` helps with, or the need whose id is `kind` (for
// needs no job meets, e.g. "duplicate_identity", "duplicate_hostname").
// InvalidArgument naming `field` when neither (listing the job kinds and
// need ids).
[[nodiscard]] absl::StatusOr<uint32_t> NeedsHelpedBy(absl::string_view kind,
                                                     absl::string_view field);

// The advice of kNeedDuplicateIdentity for a device whose enrollment
// reported the host identity of device `holder`.
std::string DuplicateIdentityAdvice(absl::string_view holder);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_DEVICE_NEEDS_H_

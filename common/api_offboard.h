// api_offboard: the job kind the server runs itself through the Defender API
// (POST /api/machines/{id}/offboard) for devices whose runner is gone.
#ifndef MDEFLEET_COMMON_API_OFFBOARD_H_
#define MDEFLEET_COMMON_API_OFFBOARD_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mdefleet {

inline constexpr absl::string_view kApiOffboardKind = "api_offboard";

// The Comment is stored with the machine action in Defender and shown in the
// Action center; long enough for a ticket reference and a reason.
inline constexpr size_t kMaxOffboardCommentLength = 1000;

// How to give mdefleet-server the Defender API credentials, for the
// FailedPrecondition refusing an api_offboard submit without them.
inline constexpr absl::string_view kApiOffboardHowToConfigure =
    "start mdefleet-server serve with --defender-tenant-id <tenant id>, "
    "--defender-client-id <application (client) id> and "
    "--defender-client-secret-file <file holding the client secret> of an "
    "Entra app granted the WindowsDefenderATP application permissions "
    "Machine.Offboard and Machine.Read.All (with admin consent); see "
    "docs/operations.md, api_offboard";

// onboard's last step when the server has the Defender API: the server
// confirms the device is listed Active with a fresh lastSeen (article 001's
// check in the portal) before the task succeeds.
inline constexpr absl::string_view kConfirmInDefenderStep =
    "confirm_in_defender";

// api_offboard's last step: after the machine action Succeeded, the server
// checks this many times, one poll interval apart, that the machine's
// lastSeen stopped moving; a device still reporting after that fails.
inline constexpr int kLastSeenChecks = 3;

// The task message of a queued api_offboard task the rate limit holds back.
inline constexpr absl::string_view kApiWaitingPrefix =
    "waiting for the Defender API rate limit";

// True for kinds whose tasks the server executes itself: runners never
// lease them (server/store/lease.cc).
bool IsServerExecutedKind(absl::string_view kind);

// True for a Defender machine id (senseId): 40 hex characters. Checked before
// it goes into a request path.
bool IsMachineId(absl::string_view text);

// parameters.comment: required for api_offboard (the API refuses an offboard
// without one), at most kMaxOffboardCommentLength characters, no control
// characters; refused for other kinds. InvalidArgument naming the field.
[[nodiscard]] absl::Status ValidateOffboardComment(absl::string_view kind,
                                                   absl::string_view comment);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_API_OFFBOARD_H_

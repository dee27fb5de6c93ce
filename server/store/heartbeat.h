// Heartbeats: a runner keeps the lease of a running task alive while a long
// step (an MSI install) runs.
#ifndef MDEFLEET_SERVER_STORE_HEARTBEAT_H_
#define MDEFLEET_SERVER_STORE_HEARTBEAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

struct HeartbeatOutcome {
  bool cancel = false;  // the job was cancelled: stop after this step
  std::string cancel_reason;
  absl::Duration lease_remaining;
};

// In the caller's transaction: renews the lease `device_id` holds on the task
// (as a step report would, capped by the job's task timeout). Changes nothing
// else. FailedPrecondition "lease lost: ..." when the lease is not held, has
// expired or the task already ended.
[[nodiscard]] absl::StatusOr<HeartbeatOutcome> ApplyHeartbeat(
    Connection& db, absl::string_view device_id,
    const v1::HeartbeatRequest& request, int64_t now,
    absl::Duration lease_duration);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_HEARTBEAT_H_

// The lease a device holds on a task, as step reports, heartbeats and
// artifact fetches check it (renewal and timeout rules:
// server/scheduler/lease_rules.h).
#ifndef MDEFLEET_SERVER_STORE_HELD_LEASE_H_
#define MDEFLEET_SERVER_STORE_HELD_LEASE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

struct HeldLease {
  std::string task_id;
  std::string job_id;
  v1::TaskState state = v1::TASK_STATE_UNSPECIFIED;
  int64_t attempt = 0;
  int64_t lease_expires_at = 0;
  int64_t started_at = 0;  // when this attempt was leased
  v1::JobState job_state = v1::JOB_STATE_UNSPECIFIED;
  std::string job_reason;
  int64_t task_timeout_micros = 0;  // the job's --task-timeout; 0: none
};

// FailedPrecondition "lease lost: task <id> <why>; stop working on it".
[[nodiscard]] absl::Status LeaseLost(absl::string_view task_id,
                                     absl::string_view why);

// Task `task_id` as held by `device_id` under `lease_id` and `attempt`.
// FailedPrecondition (LeaseLost) when the task does not exist or is held by
// another device, lease or attempt. Does not look at expiry or state: a
// repeated report of a finished task is still recognised by its caller.
[[nodiscard]] absl::StatusOr<HeldLease> LoadHeldLease(
    Connection& db, absl::string_view task_id, absl::string_view device_id,
    absl::string_view lease_id, int64_t attempt);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_HELD_LEASE_H_

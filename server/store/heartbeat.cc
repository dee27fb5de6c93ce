#include "server/store/heartbeat.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/scheduler/lease_rules.h"
#include "server/store/held_lease.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

absl::StatusOr<HeartbeatOutcome> ApplyHeartbeat(
    Connection& db, absl::string_view device_id,
    const v1::HeartbeatRequest& request, int64_t now,
    absl::Duration lease_duration) {
  if (request.task_id().empty()) {
    return absl::InvalidArgumentError("task_id: required");
  }
  ASSIGN_OR_RETURN(
      HeldLease lease,
      LoadHeldLease(db, request.task_id(), device_id, request.lease_id(),
                    static_cast<int64_t>(request.attempt())));
  if (IsTerminal(lease.state)) {
    return LeaseLost(
        request.task_id(),
        absl::StrCat("already ended (", TaskStateWord(lease.state), ")"));
  }
  if (lease.lease_expires_at <= now) {
    return LeaseLost(request.task_id(),
                     scheduler::TaskTimeoutReached(now, lease.started_at,
                                                   lease.task_timeout_micros)
                         ? "reached its task timeout"
                         : "lease expired");
  }
  const int64_t expires = scheduler::RenewedLeaseExpiry(
      now, lease_duration, lease.started_at, lease.task_timeout_micros);
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE tasks SET lease_expires_at = ?2 WHERE id = ?1"));
  st->Bind(1, request.task_id());
  st->Bind(2, expires);
  RETURN_IF_ERROR(st->Run());
  HeartbeatOutcome out;
  out.cancel = lease.job_state == v1::JOB_STATE_CANCELLED;
  if (out.cancel) out.cancel_reason = lease.job_reason;
  out.lease_remaining = absl::Microseconds(expires - now);
  return out;
}

}  // namespace mdefleet::store

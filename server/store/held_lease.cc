#include "server/store/held_lease.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mdefleet::store {

absl::Status LeaseLost(absl::string_view task_id, absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(
      "lease lost: task ", task_id, " ", why, "; stop working on it"));
}

absl::StatusOr<HeldLease> LoadHeldLease(Connection& db,
                                        absl::string_view task_id,
                                        absl::string_view device_id,
                                        absl::string_view lease_id,
                                        int64_t attempt) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT t.job_id, t.device_id, t.state, t.attempt, "
                 "coalesce(t.lease_id, ''), coalesce(t.lease_expires_at, 0), "
                 "coalesce(t.started_at, 0), j.state, j.state_reason, "
                 "j.lease_micros FROM tasks t JOIN jobs j ON j.id = t.job_id "
                 "WHERE t.id = ?1"));
  st->Bind(1, task_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return LeaseLost(task_id, "does not exist");
  if (st->ColumnText(1) != device_id) {
    return LeaseLost(task_id, "is not assigned to this device");
  }
  const std::string held_lease = st->ColumnText(4);
  if (held_lease.empty() || held_lease != lease_id ||
      st->ColumnInt(3) != attempt) {
    return LeaseLost(task_id, "is held under another lease");
  }
  HeldLease lease;
  lease.task_id = std::string(task_id);
  lease.job_id = st->ColumnText(0);
  lease.state = static_cast<v1::TaskState>(st->ColumnInt(2));
  lease.attempt = st->ColumnInt(3);
  lease.lease_expires_at = st->ColumnInt(5);
  lease.started_at = st->ColumnInt(6);
  lease.job_state = static_cast<v1::JobState>(st->ColumnInt(7));
  lease.job_reason = st->ColumnText(8);
  lease.task_timeout_micros = st->ColumnInt(9);
  return lease;
}

}  // namespace mdefleet::store

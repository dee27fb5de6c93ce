#include "server/store/maintenance_lease.h"

#include "absl/strings/str_cat.h"
#include "common/maintenance_window.h"
#include "common/status_macros.h"
#include "server/store/time_util.h"

namespace mdefleet::store {

bool InMaintenanceWindowForLease(const v1::RolloutPolicy& policy,
                                 const v1::DeviceFacts& facts, int64_t now) {
  return TaskMayStartNow(policy, FromMicros(now), facts.utc_offset_minutes());
}

void CopyMaintenanceWindows(const v1::RolloutPolicy& policy,
                            v1::LeasedTask* task) {
  *task->mutable_maintenance_windows() = policy.maintenance_windows();
}

absl::Status AttachMaintenanceWindows(Connection& db, v1::LeasedTask* task) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT spec FROM jobs WHERE id = ?1"));
  st->Bind(1, task->job_id());
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return absl::OkStatus();
  v1::JobSpec spec;
  if (!spec.ParseFromString(st->ColumnBlob(0))) {
    return absl::DataLossError(
        absl::StrCat("job ", task->job_id(), ": bad spec"));
  }
  CopyMaintenanceWindows(spec.policy(), task);
  return absl::OkStatus();
}

}  // namespace mdefleet::store

#include "server/store/device_access.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/credentials.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {

absl::StatusOr<std::optional<DeviceCredential>> DeviceForToken(
    Connection& db, absl::string_view token_hash) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT id, token_hash, revoked_at IS NOT NULL, cert_sha256, "
                 "next_cert_sha256 FROM devices WHERE token_hash = ?1"));
  st->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  DeviceCredential out;
  out.device_id = st->ColumnText(0);
  out.token_hash = st->ColumnText(1);
  out.revoked = st->ColumnInt(2) != 0;
  if (!st->ColumnIsNull(3)) out.certificates.current_sha256 = st->ColumnText(3);
  out.certificates.next_sha256 = st->ColumnText(4);
  return out;
}

absl::StatusOr<DeviceAccess> GetDeviceAccess(Connection& db,
                                             absl::string_view device_id) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT revoked_at, revoked_reason, scope_labels, "
                 "host_identity_sha256, runner_clone_seen_at FROM devices "
                 "WHERE "
                 "id = ?1"));
  st->Bind(1, device_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("device_id: no device \"", device_id, "\""));
  }
  DeviceAccess out;
  out.revoked_at = st->ColumnOptionalInt(0);
  out.revoked_reason = st->ColumnText(1);
  out.scope_labels = DecodeScopeLabels(st->ColumnText(2));
  out.host_identity_sha256 = st->ColumnText(3);
  out.runner_clone_seen_at = st->ColumnOptionalInt(4);
  return out;
}

absl::Status SetDeviceScopeLabels(
    Connection& db, absl::string_view device_id,
    const std::map<std::string, std::string>& labels) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE devices SET scope_labels = ?2 WHERE id = ?1"));
  st->Bind(1, device_id);
  st->Bind(2, EncodeScopeLabels(labels));
  return st->Run();
}

absl::StatusOr<int> RevokeDevice(Connection& db, absl::string_view device_id,
                                 absl::string_view reason, int64_t now,
                                 WriteEffects* effects) {
  ASSIGN_OR_RETURN(DeviceAccess access, GetDeviceAccess(db, device_id));
  if (access.revoked_at) {
    return absl::FailedPreconditionError(
        absl::StrCat("device_id: device ", device_id, " is already revoked"));
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE devices SET revoked_at = ?2, revoked_reason = ?3 "
                   "WHERE id = ?1"));
    st->Bind(1, device_id);
    st->Bind(2, now);
    st->Bind(3, reason);
    RETURN_IF_ERROR(st->Run());
  }
  std::vector<TaskKey> open;
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT id, job_id, state, attempt FROM tasks WHERE "
                   "device_id = ?1 AND state IN (" SQL_TASK_QUEUED
                   ", " SQL_TASK_LEASED ", " SQL_TASK_RUNNING ")"));
    st->Bind(1, device_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      open.push_back({st->ColumnText(0), st->ColumnText(1),
                      static_cast<v1::TaskState>(st->ColumnInt(2)),
                      st->ColumnInt(3)});
    }
  }
  for (const TaskKey& task : open) {
    RETURN_IF_ERROR(EndTask(db, task,
                            {.to = v1::TASK_STATE_CANCELLED,
                             .message = "device revoked",
                             .pending_message = "not run: device revoked",
                             .running_message = "device revoked"},
                            now, effects));
  }
  return static_cast<int>(open.size());
}

absl::StatusOr<bool> RecordRunnerClone(Connection& db,
                                       absl::string_view device_id,
                                       absl::string_view other_identity_sha256,
                                       int64_t now) {
  bool first = true;
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("SELECT runner_clone_identity_sha256 FROM "
                                "devices WHERE id = ?1"));
    st->Bind(1, device_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return false;
    first = st->ColumnText(0) != other_identity_sha256;
  }
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE devices SET runner_clone_seen_at = ?2, "
                 "runner_clone_identity_sha256 = ?3 WHERE id = ?1"));
  st->Bind(1, device_id);
  st->Bind(2, now);
  st->Bind(3, other_identity_sha256);
  RETURN_IF_ERROR(st->Run());
  return first;
}

}  // namespace mdefleet::store

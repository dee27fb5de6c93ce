#include "server/store/evidence.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/held_lease.h"
#include "server/store/task_transitions.h"
#include "server/store/time_util.h"

namespace mdefleet::store {

absl::Status SaveEvidence(Connection& db, absl::string_view device_id,
                          const v1::UploadEvidenceRequest& request,
                          int64_t now) {
  ASSIGN_OR_RETURN(
      HeldLease lease,
      LoadHeldLease(db, request.task_id(), device_id, request.lease_id(),
                    static_cast<int64_t>(request.attempt())));
  if (IsTerminal(lease.state)) {
    return LeaseLost(request.task_id(), "already ended");
  }
  if (lease.lease_expires_at <= now) {
    return LeaseLost(request.task_id(), "lease expired");
  }
  {
    ASSIGN_OR_RETURN(CachedStatement step,
                     db.Prepare("SELECT 1 FROM steps WHERE task_id = ?1 AND "
                                "attempt = ?2 AND idx = ?3"));
    step->Bind(1, request.task_id());
    step->Bind(2, static_cast<int64_t>(request.attempt()));
    step->Bind(3, static_cast<int64_t>(request.step_index()));
    ASSIGN_OR_RETURN(bool found, step->Step());
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          "step_index: task ", request.task_id(), " attempt ",
          request.attempt(), " has no step ", request.step_index()));
    }
  }
  ASSIGN_OR_RETURN(CachedStatement clear,
                   db.Prepare("DELETE FROM step_evidence WHERE task_id = ?1 "
                              "AND attempt = ?2 AND idx = ?3"));
  clear->Bind(1, request.task_id());
  clear->Bind(2, static_cast<int64_t>(request.attempt()));
  clear->Bind(3, static_cast<int64_t>(request.step_index()));
  RETURN_IF_ERROR(clear->Run());
  ASSIGN_OR_RETURN(
      CachedStatement insert,
      db.Prepare("INSERT INTO step_evidence (task_id, attempt, idx, file_no, "
                 "name, content, original_size, truncated, uploaded_at) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  for (int i = 0; i < request.files_size(); ++i) {
    const v1::EvidenceFile& f = request.files(i);
    insert->Reset();
    insert->Bind(1, request.task_id());
    insert->Bind(2, static_cast<int64_t>(request.attempt()));
    insert->Bind(3, static_cast<int64_t>(request.step_index()));
    insert->Bind(4, int64_t{i});
    insert->Bind(5, f.name());
    insert->BindBlob(6, f.gzip_content());
    insert->Bind(7, static_cast<int64_t>(f.original_size()));
    insert->Bind(8, int64_t{f.truncated() ? 1 : 0});
    insert->Bind(9, now);
    RETURN_IF_ERROR(insert->Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> TaskIdOnDevice(Connection& db,
                                           absl::string_view job_id,
                                           absl::string_view device_id) {
  ASSIGN_OR_RETURN(
      CachedStatement task,
      db.Prepare("SELECT id FROM tasks WHERE job_id = ?1 AND device_id = ?2"));
  task->Bind(1, job_id);
  task->Bind(2, device_id);
  ASSIGN_OR_RETURN(bool found, task->Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("job ", job_id, " has no task on device ", device_id));
  }
  return task->ColumnText(0);
}

absl::StatusOr<v1::GetTaskEvidenceResponse> LoadTaskEvidence(
    Connection& db, absl::string_view job_id, absl::string_view device_id,
    absl::string_view step_name) {
  ASSIGN_OR_RETURN(std::string task_id, TaskIdOnDevice(db, job_id, device_id));
  v1::GetTaskEvidenceResponse out;
  out.set_task_id(task_id);
  ASSIGN_OR_RETURN(
      CachedStatement rows,
      db.Prepare("SELECT e.attempt, e.idx, s.name, e.uploaded_at, e.name, "
                 "e.content, e.original_size, e.truncated "
                 "FROM step_evidence e JOIN steps s ON s.task_id = e.task_id "
                 "AND s.attempt = e.attempt AND s.idx = e.idx "
                 "WHERE e.task_id = ?1 AND (?2 = '' OR s.name = ?2) "
                 "ORDER BY e.attempt DESC, e.idx, e.file_no"));
  rows->Bind(1, out.task_id());
  rows->Bind(2, step_name);
  v1::StepEvidence* current = nullptr;
  while (true) {
    ASSIGN_OR_RETURN(bool row, rows->Step());
    if (!row) break;
    const auto attempt = static_cast<uint32_t>(rows->ColumnInt(0));
    const auto idx = static_cast<uint32_t>(rows->ColumnInt(1));
    if (current == nullptr || current->attempt() != attempt ||
        current->step_index() != idx) {
      current = out.add_steps();
      current->set_attempt(attempt);
      current->set_step_index(idx);
      current->set_step_name(rows->ColumnText(2));
      SetTimestamp(rows->ColumnInt(3), current->mutable_uploaded_at());
    }
    v1::EvidenceFile* f = current->add_files();
    f->set_name(rows->ColumnText(4));
    f->set_gzip_content(rows->ColumnBlob(5));
    f->set_original_size(static_cast<uint64_t>(rows->ColumnInt(6)));
    f->set_truncated(rows->ColumnInt(7) != 0);
  }
  return out;
}

absl::StatusOr<int64_t> DeleteEvidenceBefore(Connection& db, int64_t cutoff) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("DELETE FROM step_evidence WHERE uploaded_at < ?1"));
  st->Bind(1, cutoff);
  RETURN_IF_ERROR(st->Run());
  return db.Changes();
}

}  // namespace mdefleet::store

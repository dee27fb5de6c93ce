#include "server/store/diagnostics.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/evidence.h"
#include "server/store/held_lease.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {
namespace {

// The step's name, or InvalidArgument naming step_index.
[[nodiscard]] absl::StatusOr<std::string> StepName(Connection& db,
                                                   absl::string_view task_id,
                                                   int64_t attempt,
                                                   int64_t step_index) {
  ASSIGN_OR_RETURN(CachedStatement step,
                   db.Prepare("SELECT name FROM steps WHERE task_id = ?1 AND "
                              "attempt = ?2 AND idx = ?3"));
  step->Bind(1, task_id);
  step->Bind(2, attempt);
  step->Bind(3, step_index);
  ASSIGN_OR_RETURN(bool found, step->Step());
  if (!found) {
    return absl::InvalidArgumentError(
        absl::StrCat("step_index: task ", task_id, " attempt ", attempt,
                     " has no step ", step_index));
  }
  return step->ColumnText(0);
}

}  // namespace

absl::Status CheckDiagnosticsLease(
    Connection& db, absl::string_view device_id,
    const v1::UploadDiagnosticsChunkRequest& request, int64_t now) {
  const auto attempt = static_cast<int64_t>(request.attempt());
  ASSIGN_OR_RETURN(HeldLease lease,
                   LoadHeldLease(db, request.task_id(), device_id,
                                 request.lease_id(), attempt));
  if (IsTerminal(lease.state)) {
    return LeaseLost(request.task_id(), "already ended");
  }
  if (lease.lease_expires_at <= now) {
    return LeaseLost(request.task_id(), "lease expired");
  }
  return StepName(db, request.task_id(), attempt,
                  static_cast<int64_t>(request.step_index()))
      .status();
}

absl::StatusOr<DiagnosticsUploadState> GetDiagnosticsUploadState(
    Connection& db, absl::string_view task_id, int64_t attempt,
    int64_t step_index) {
  DiagnosticsUploadState state;
  ASSIGN_OR_RETURN(
      CachedStatement held,
      db.Prepare("SELECT COALESCE(SUM(length(data)), 0) FROM "
                 "diagnostics_chunks WHERE task_id = ?1 AND attempt = ?2 AND "
                 "idx = ?3"));
  held->Bind(1, task_id);
  held->Bind(2, attempt);
  held->Bind(3, step_index);
  RETURN_IF_ERROR(held->Step().status());
  state.held = static_cast<uint64_t>(held->ColumnInt(0));
  ASSIGN_OR_RETURN(
      CachedStatement kept,
      db.Prepare("SELECT sha256 FROM diagnostics_bundles WHERE task_id = ?1 "
                 "AND attempt = ?2 AND idx = ?3"));
  kept->Bind(1, task_id);
  kept->Bind(2, attempt);
  kept->Bind(3, step_index);
  ASSIGN_OR_RETURN(bool found, kept->Step());
  if (found) state.kept = kept->ColumnText(0);
  return state;
}

absl::StatusOr<uint64_t> AppendDiagnosticsChunk(
    Connection& db, absl::string_view device_id,
    const v1::UploadDiagnosticsChunkRequest& request, int64_t now) {
  const auto attempt = static_cast<int64_t>(request.attempt());
  const auto idx = static_cast<int64_t>(request.step_index());
  RETURN_IF_ERROR(CheckDiagnosticsLease(db, device_id, request, now));
  if (request.offset() == 0) {
    RETURN_IF_ERROR(
        DeleteDiagnosticsUpload(db, request.task_id(), attempt, idx));
  }
  ASSIGN_OR_RETURN(
      CachedStatement held,
      db.Prepare("SELECT COALESCE(SUM(length(data)), 0), MIN(total_size), "
                 "MAX(total_size) FROM diagnostics_chunks WHERE task_id = ?1 "
                 "AND attempt = ?2 AND idx = ?3"));
  held->Bind(1, request.task_id());
  held->Bind(2, attempt);
  held->Bind(3, idx);
  RETURN_IF_ERROR(held->Step().status());
  const auto received = static_cast<uint64_t>(held->ColumnInt(0));
  const std::optional<int64_t> total = held->ColumnOptionalInt(1);
  held->Reset();
  if (total.has_value() &&
      static_cast<uint64_t>(*total) != request.total_size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "total_size: ", request.total_size(), " differs from the ", *total,
        " this upload started with; start over at offset 0"));
  }
  const uint64_t end = request.offset() + request.data().size();
  if (request.offset() < received && end <= received) {
    return received;  // a repeat of a chunk the server has
  }
  if (request.offset() != received && received == 0 &&
      !request.sha256().empty() && end == request.total_size()) {
    // The last chunk again after its answer was lost: the bundle it ended
    // is kept and its chunks are gone.
    ASSIGN_OR_RETURN(
        DiagnosticsUploadState state,
        GetDiagnosticsUploadState(db, request.task_id(), attempt, idx));
    if (state.kept == request.sha256()) return request.total_size();
  }
  if (request.offset() != received) {
    return absl::InvalidArgumentError(
        absl::StrCat("offset: ", request.offset(), " but the server holds ",
                     received, " bytes of this upload; send from ", received,
                     " (or 0 to start over)"));
  }
  ASSIGN_OR_RETURN(
      CachedStatement insert,
      db.Prepare("INSERT INTO diagnostics_chunks (task_id, attempt, idx, "
                 "start_at, total_size, data, uploaded_at) VALUES (?1, ?2, "
                 "?3, ?4, ?5, ?6, ?7)"));
  insert->Bind(1, request.task_id());
  insert->Bind(2, attempt);
  insert->Bind(3, idx);
  insert->Bind(4, static_cast<int64_t>(request.offset()));
  insert->Bind(5, static_cast<int64_t>(request.total_size()));
  insert->BindBlob(6, request.data());
  insert->Bind(7, now);
  RETURN_IF_ERROR(insert->Run());
  return end;
}

absl::StatusOr<std::string> LoadDiagnosticsUpload(Connection& db,
                                                  absl::string_view task_id,
                                                  int64_t attempt,
                                                  int64_t step_index) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT data FROM diagnostics_chunks WHERE task_id = ?1 AND "
                 "attempt = ?2 AND idx = ?3 ORDER BY start_at"));
  st->Bind(1, task_id);
  st->Bind(2, attempt);
  st->Bind(3, step_index);
  std::string out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.append(st->ColumnBlob(0));
  }
  return out;
}

absl::Status DeleteDiagnosticsUpload(Connection& db, absl::string_view task_id,
                                     int64_t attempt, int64_t step_index) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("DELETE FROM diagnostics_chunks WHERE task_id = ?1 AND "
                 "attempt = ?2 AND idx = ?3"));
  st->Bind(1, task_id);
  st->Bind(2, attempt);
  st->Bind(3, step_index);
  return st->Run();
}

absl::Status SaveDiagnosticsBundle(Connection& db, absl::string_view task_id,
                                   int64_t attempt, int64_t step_index,
                                   absl::string_view content,
                                   absl::string_view sha256,
                                   const v1::DiagnosticsSummary& summary,
                                   int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO diagnostics_bundles (task_id, attempt, idx, "
                 "content, sha256, summary, uploaded_at) VALUES (?1, ?2, ?3, "
                 "?4, ?5, ?6, ?7) ON CONFLICT (task_id, attempt, idx) DO "
                 "UPDATE SET content = excluded.content, sha256 = "
                 "excluded.sha256, summary = excluded.summary, uploaded_at = "
                 "excluded.uploaded_at"));
  st->Bind(1, task_id);
  st->Bind(2, attempt);
  st->Bind(3, step_index);
  st->BindBlob(4, content);
  st->Bind(5, sha256);
  st->BindBlob(6, summary.SerializeAsString());
  st->Bind(7, now);
  RETURN_IF_ERROR(st->Run());
  return DeleteDiagnosticsUpload(db, task_id, attempt, step_index);
}

absl::StatusOr<DiagnosticsBundle> LoadDiagnosticsBundle(
    Connection& db, absl::string_view job_id, absl::string_view device_id) {
  DiagnosticsBundle out;
  ASSIGN_OR_RETURN(out.task_id, TaskIdOnDevice(db, job_id, device_id));
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT b.content, b.sha256, b.summary, b.uploaded_at, "
                 "s.name FROM diagnostics_bundles b JOIN steps s ON "
                 "s.task_id = b.task_id AND s.attempt = b.attempt AND s.idx = "
                 "b.idx WHERE b.task_id = ?1 ORDER BY b.attempt DESC, "
                 "b.uploaded_at DESC LIMIT 1"));
  st->Bind(1, out.task_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat(
        "task ", out.task_id, " (job ", job_id, ", device ", device_id,
        ") kept no MDEClientAnalyzer result bundle: it is uploaded by "
        "collect_diagnostics' upload_diagnostics_bundle step and kept for the "
        "evidence retention period"));
  }
  out.content = st->ColumnBlob(0);
  out.sha256 = st->ColumnText(1);
  if (!out.summary.ParseFromString(st->ColumnBlob(2))) {
    return absl::DataLossError(
        absl::StrCat("task ", out.task_id, ": bad diagnostics summary"));
  }
  out.uploaded_at = st->ColumnInt(3);
  out.summary.set_step_name(st->ColumnText(4));
  return out;
}

absl::StatusOr<std::optional<v1::DiagnosticsSummary>> LoadDiagnosticsSummary(
    Connection& db, absl::string_view task_id) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT b.summary, s.name FROM diagnostics_bundles b JOIN "
                 "steps s ON s.task_id = b.task_id AND s.attempt = b.attempt "
                 "AND s.idx = b.idx WHERE b.task_id = ?1 ORDER BY b.attempt "
                 "DESC, b.uploaded_at DESC LIMIT 1"));
  st->Bind(1, task_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  v1::DiagnosticsSummary summary;
  if (!summary.ParseFromString(st->ColumnBlob(0))) {
    return absl::DataLossError(
        absl::StrCat("task ", task_id, ": bad diagnostics summary"));
  }
  summary.set_step_name(st->ColumnText(1));
  st->Reset();
  return summary;
}

absl::StatusOr<int64_t> DeleteDiagnosticsBefore(Connection& db,
                                                int64_t cutoff) {
  int64_t deleted = 0;
  for (const char* sql :
       {"DELETE FROM diagnostics_bundles WHERE uploaded_at < ?1",
        "DELETE FROM diagnostics_chunks WHERE uploaded_at < ?1"}) {
    ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(sql));
    st->Bind(1, cutoff);
    RETURN_IF_ERROR(st->Run());
    deleted += db.Changes();
  }
  return deleted;
}

}  // namespace mdefleet::store

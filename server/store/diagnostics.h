// MDEClientAnalyzer result bundles (collect_diagnostics): the chunks of an
// upload in progress (runner.proto UploadDiagnosticsChunk), the bundles kept
// with their findings (Task.diagnostics) and their retention. Schema:
// migrations/0011_diagnostics_bundles.sql.
#ifndef MDEFLEET_SERVER_STORE_DIAGNOSTICS_H_
#define MDEFLEET_SERVER_STORE_DIAGNOSTICS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/runner.pb.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// In the caller's transaction: checks that `device_id` holds the live lease
// of the request's task and attempt and that the attempt has the step, then
// appends the chunk. The request's sizes must already be checked against
// the bounds (total_size, data). A chunk at offset 0 starts the upload over;
// one at the offset the server has is appended; one wholly inside what the
// server has (a repeat after a lost answer) changes nothing, as does a
// repeat of the last chunk of a bundle already kept (total_size returned).
// Returns the bytes held. FailedPrecondition "lease lost: ..." as SaveEvidence;
// InvalidArgument naming step_index, offset or total_size (a total that
// differs from the upload's first chunk).
[[nodiscard]] absl::StatusOr<uint64_t> AppendDiagnosticsChunk(
    Connection& db, absl::string_view device_id,
    const v1::UploadDiagnosticsChunkRequest& request, int64_t now);

// OK when `device_id` holds the live lease of the request's task and
// attempt and the attempt has the step; the errors of
// AppendDiagnosticsChunk otherwise.
[[nodiscard]] absl::Status CheckDiagnosticsLease(
    Connection& db, absl::string_view device_id,
    const v1::UploadDiagnosticsChunkRequest& request, int64_t now);

struct DiagnosticsUploadState {
  uint64_t held = 0;                // bytes of the upload in progress
  std::optional<std::string> kept;  // SHA-256 of the bundle kept, if any
};

// Where the upload of (task, attempt, step) stands.
[[nodiscard]] absl::StatusOr<DiagnosticsUploadState> GetDiagnosticsUploadState(
    Connection& db, absl::string_view task_id, int64_t attempt,
    int64_t step_index);

// The bytes of the upload in progress of (task, attempt, step), in order.
[[nodiscard]] absl::StatusOr<std::string> LoadDiagnosticsUpload(
    Connection& db, absl::string_view task_id, int64_t attempt,
    int64_t step_index);

// Deletes the upload in progress of (task, attempt, step).
[[nodiscard]] absl::Status DeleteDiagnosticsUpload(Connection& db,
                                                   absl::string_view task_id,
                                                   int64_t attempt,
                                                   int64_t step_index);

// Keeps `content` (SHA-256 `sha256`, findings `summary`) for (task,
// attempt, step) in place of an earlier one, and deletes the upload's
// chunks.
[[nodiscard]] absl::Status SaveDiagnosticsBundle(
    Connection& db, absl::string_view task_id, int64_t attempt,
    int64_t step_index, absl::string_view content, absl::string_view sha256,
    const v1::DiagnosticsSummary& summary, int64_t now);

struct DiagnosticsBundle {
  std::string task_id;
  v1::DiagnosticsSummary summary;
  std::string sha256;
  int64_t uploaded_at = 0;
  std::string content;
};

// The newest bundle (latest attempt) of job `job_id`'s task on `device_id`.
// NotFound naming job and device when there is no such task, or saying the
// task kept no bundle.
[[nodiscard]] absl::StatusOr<DiagnosticsBundle> LoadDiagnosticsBundle(
    Connection& db, absl::string_view job_id, absl::string_view device_id);

// The summary of task `task_id`'s newest bundle, with its step's name;
// nullopt when it kept none.
[[nodiscard]] absl::StatusOr<std::optional<v1::DiagnosticsSummary>>
LoadDiagnosticsSummary(Connection& db, absl::string_view task_id);

// Deletes bundles and upload chunks from before `cutoff`; returns how many
// rows went.
[[nodiscard]] absl::StatusOr<int64_t> DeleteDiagnosticsBefore(Connection& db,
                                                              int64_t cutoff);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_DIAGNOSTICS_H_

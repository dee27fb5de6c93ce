// The evidence failed steps left behind (runner.proto UploadEvidence): kept
// gzip-compressed as uploaded, one set per (task, attempt, step), read by
// operators (admin.proto GetTaskEvidence) until the retention sweep deletes
// it.
#ifndef MDEFLEET_SERVER_STORE_EVIDENCE_H_
#define MDEFLEET_SERVER_STORE_EVIDENCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/admin.pb.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// In the caller's transaction: stores `request`'s files for the step, in
// place of what an earlier upload of the same step left. The request must
// already be validated (common/evidence_limits.h, contents opened).
// FailedPrecondition "lease lost: ..." when `device_id` does not hold the
// task's live lease under that attempt; InvalidArgument naming step_index
// when the attempt has no such step.
[[nodiscard]] absl::Status SaveEvidence(
    Connection& db, absl::string_view device_id,
    const v1::UploadEvidenceRequest& request, int64_t now);

// The id of job `job_id`'s task on `device_id`; NotFound naming both.
[[nodiscard]] absl::StatusOr<std::string> TaskIdOnDevice(
    Connection& db, absl::string_view job_id, absl::string_view device_id);

// The task of job `job_id` on device `device_id` and its evidence, newest
// attempt first, then step order; only step `step_name` when not empty.
// NotFound naming job and device when there is no such task.
[[nodiscard]] absl::StatusOr<v1::GetTaskEvidenceResponse> LoadTaskEvidence(
    Connection& db, absl::string_view job_id, absl::string_view device_id,
    absl::string_view step_name);

// Deletes evidence uploaded before `cutoff`; returns how many files went.
[[nodiscard]] absl::StatusOr<int64_t> DeleteEvidenceBefore(Connection& db,
                                                           int64_t cutoff);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_EVIDENCE_H_

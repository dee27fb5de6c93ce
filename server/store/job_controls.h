// Operator controls of a job, in the caller's transaction: cancel, pause,
// resume and retry-failed. Each refuses with FailedPrecondition naming
// job_id, changing nothing, when the job's state does not allow it, and
// NotFound for an unknown job. `actor` (the credential's name) goes into the
// job's state reason.
#ifndef MDEFLEET_SERVER_STORE_JOB_CONTROLS_H_
#define MDEFLEET_SERVER_STORE_JOB_CONTROLS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

// Who acts on a job, and why.
struct ControlRequest {
  absl::string_view job_id;
  absl::string_view actor;
  absl::string_view reason;  // may be empty
};

// The job becomes CANCELLED, its queued tasks CANCELLED (steps skipped);
// leased/running tasks learn it from their next report and stop after that
// step. Refused for a job that already ended.
[[nodiscard]] absl::Status CancelJob(Connection& db,
                                     const ControlRequest& request, int64_t now,
                                     WriteEffects* effects);

// PENDING/RUNNING -> PAUSED (cause OPERATOR): nothing more is leased; leased
// and running tasks finish. Refused for a paused or ended job.
[[nodiscard]] absl::Status PauseJob(Connection& db,
                                    const ControlRequest& request, int64_t now,
                                    WriteEffects* effects);

// PAUSED -> RUNNING (PENDING when nothing was leased yet). Resuming after the
// canaries (approval, or an override after a canary failure) opens the first
// wave at once; otherwise the current wave goes on (and the next opens if it
// is done). The failure threshold is checked again at the next failure.
// Refused for a job that is not paused.
[[nodiscard]] absl::Status ResumeJob(Connection& db,
                                     const ControlRequest& request, int64_t now,
                                     WriteEffects* effects);

// Queues every FAILED and TIMED_OUT task again as a new attempt (automatic
// retries counted from 0 again). Those that failed in the current wave give
// their slot back and are no longer counted as its failures (failed canaries
// become canaries again). A FAILED job runs again; a PAUSED one stays
// paused. Refused when the job has no such task, was cancelled, or its
// deadline passed. Returns how many tasks were queued.
[[nodiscard]] absl::StatusOr<int> RetryFailedTasks(
    Connection& db, const ControlRequest& request, int64_t now,
    WriteEffects* effects);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_JOB_CONTROLS_H_

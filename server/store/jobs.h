// Jobs: bulk submission, reads from the counters, summaries, cancellation.
#ifndef MDEFLEET_SERVER_STORE_JOBS_H_
#define MDEFLEET_SERVER_STORE_JOBS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/plan.pb.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

// One task of a new job: QUEUED with a plan, or FAILED at planning time
// (the device cannot run the kind) with a message.
struct NewTask {
  std::string id;
  std::string device_id;
  v1::TaskState state = v1::TASK_STATE_QUEUED;
  v1::Plan plan;
  std::string message;
};

// Inserts the job (spec with artifact ids resolved), its tasks and their
// pending steps in the caller's transaction, with the counters set. `job`
// supplies id, spec, created_by and created_at. Ends the job at once when no
// task is left to run.
[[nodiscard]] absl::Status InsertJob(Connection& db, const v1::Job& job,
                                     const std::vector<NewTask>& tasks,
                                     int64_t now, WriteEffects* effects);

// The job with counts from its counters; nullopt when unknown.
[[nodiscard]] absl::StatusOr<std::optional<v1::Job>> GetJob(
    Connection& db, absl::string_view job_id);

// The top `limit` failing (step, message) pairs by count.
[[nodiscard]] absl::Status FillFailingSteps(Connection& db, v1::Job* job,
                                            int limit = 5);
// Per step name, how many tasks are in each step state.
[[nodiscard]] absl::Status FillStepSummary(Connection& db, v1::Job* job);

// Newest first; state UNSPECIFIED means any.
[[nodiscard]] absl::StatusOr<std::vector<v1::Job>> ListJobs(Connection& db,
                                                            v1::JobState state,
                                                            int64_t limit);

// Cancels a job: the job becomes CANCELLED, its queued tasks CANCELLED (steps
// skipped); leased/running tasks learn it from their next report.
// NotFound / FailedPrecondition (already final) naming job_id.
[[nodiscard]] absl::Status CancelJob(Connection& db, absl::string_view job_id,
                                     absl::string_view reason, int64_t now,
                                     WriteEffects* effects);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_JOBS_H_

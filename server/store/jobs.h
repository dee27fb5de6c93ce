// Jobs: bulk submission, reads from the counters, summaries. The controls
// (cancel, pause, ...) are in job_controls.h.
#ifndef MDEFLEET_SERVER_STORE_JOBS_H_
#define MDEFLEET_SERVER_STORE_JOBS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/rollout_policy.h"
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
  // Shared by the tasks whose plans are equal (most of a fleet-wide job's):
  // a plan in memory is tens of kB. Null for a task that cannot run.
  std::shared_ptr<const v1::Plan> plan;
  std::string message;
};

// Inserts the job (spec with artifact ids resolved), its resolved rollout
// policy, its tasks and their pending steps in the caller's transaction, with
// the counters set. `job` supplies id, spec, created_by and created_at. Ends
// the job at once when no task is left to run, and pauses it when tasks that
// failed at planning already exceed max_failures.
[[nodiscard]] absl::Status InsertJob(Connection& db, const v1::Job& job,
                                     const std::vector<NewTask>& tasks,
                                     const ResolvedPolicy& policy, int64_t now,
                                     WriteEffects* effects);

// The job with counts from its counters and its rollout status (without the
// GetJob-only counts); nullopt when unknown.
[[nodiscard]] absl::StatusOr<std::optional<v1::Job>> GetJob(
    Connection& db, absl::string_view job_id);

// The top `limit` failing (step, message) pairs by count (current attempts).
[[nodiscard]] absl::Status FillFailingSteps(Connection& db, v1::Job* job,
                                            int limit = 5);
// Per step name, how many tasks are in each step state (current attempts).
[[nodiscard]] absl::Status FillStepSummary(Connection& db, v1::Job* job);

// rollout.queued_offline (queued tasks whose device was last seen before
// `online_since`; 0 for server-executed kinds) and rollout.retry_waiting
// (queued retries not due at `now`), and for api_offboard
// rollout.api_waiting (kept by the server's worker). Scans the job's queued
// tasks: GetJob only.
[[nodiscard]] absl::Status FillRolloutCounts(Connection& db, v1::Job* job,
                                             int64_t now, int64_t online_since);

// Devices with a task of `job_id` still queued, at most `limit` (which to
// wake when the job frees a slot: EventHub).
[[nodiscard]] absl::StatusOr<std::vector<std::string>> QueuedDevicesOfJob(
    Connection& db, absl::string_view job_id, int64_t limit);

// Newest first; state UNSPECIFIED means any.
[[nodiscard]] absl::StatusOr<std::vector<v1::Job>> ListJobs(Connection& db,
                                                            v1::JobState state,
                                                            int64_t limit);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_JOBS_H_

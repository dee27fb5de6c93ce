// Tasks the server executes itself (api_offboard), in the caller's
// transaction: starting them as the job's rollout allows, their steps, their
// Defender machine action, the rate-limit call log and the "waiting" counts.
// Runners never lease these (lease.cc filters the kind out), and they hold no
// lease: lease_expires_at stays NULL, so lease expiry and lease renewal after
// a restart leave them alone.
#ifndef MDEFLEET_SERVER_STORE_API_TASKS_H_
#define MDEFLEET_SERVER_STORE_API_TASKS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

// A queued api_offboard task whose job may start tasks now (PENDING/RUNNING,
// wave open, deadline not passed, retry backoff over), in start order (oldest
// job first, then task creation). `job_room` is how many more tasks the job
// may start now (max_in_flight and wave budget); -1: no limit.
struct StartableApiTask {
  std::string task_id;
  std::string job_id;
  int64_t job_room = -1;
};
[[nodiscard]] absl::StatusOr<std::vector<StartableApiTask>>
ListStartableApiTasks(Connection& db, int64_t now, int64_t limit);

// A RUNNING api_offboard task and its machine action.
struct ApiTask {
  std::string task_id;
  std::string job_id;
  std::string hostname;
  std::string machine_id;
  std::string comment;
  int64_t attempt = 1;
  int64_t started_at = 0;
  int64_t task_timeout = 0;  // micros; 0: none
  int64_t requested_at = 0;  // when the POST was (last) about to be sent
  std::string action_id;     // "" until the POST's answer was recorded
  std::string action_status;
  int step = 0;               // index of the running step
  int steps = 0;              // planned steps (2 for tasks planned before
                              // confirm_last_seen_stopped existed)
  int64_t confirm_since = 0;  // confirm_last_seen_stopped started (0: not)
  v1::JobState job_state = v1::JOB_STATE_UNSPECIFIED;

  TaskKey key() const {
    return TaskKey{task_id, job_id, v1::TASK_STATE_RUNNING, attempt};
  }
};

// Starts `task_id` if its job still lets it start: plans it from the device's
// facts (a plan error ends it FAILED; a plan that skips ends it SKIPPED with
// the reason), then RUNNING with step request_offboard RUNNING and a
// defender_actions row requested at `now`, recorded before the POST is sent.
// nullopt when it did not start or ended at once.
[[nodiscard]] absl::StatusOr<std::optional<ApiTask>> StartApiTask(
    Connection& db, absl::string_view task_id, int64_t now,
    WriteEffects* effects);

// Every RUNNING api_offboard task (after a restart, or to find cancelled
// jobs and timeouts).
[[nodiscard]] absl::StatusOr<std::vector<ApiTask>> ListRunningApiTasks(
    Connection& db);

// Sets step `index` of a task attempt the server runs itself (api_offboard,
// onboard's confirm_in_defender): state, message, started_at (first time
// RUNNING or later) and finished_at (final states).
[[nodiscard]] absl::Status SetServerStep(
    Connection& db, absl::string_view task_id, int64_t attempt, int index,
    v1::StepState state, absl::string_view message, int64_t now);

// SetServerStep for an api_offboard task.
[[nodiscard]] absl::Status SetApiStep(Connection& db, const ApiTask& task,
                                      int index, v1::StepState state,
                                      absl::string_view message, int64_t now);

// Records the machine action the POST created (or that a lookup found).
[[nodiscard]] absl::Status RecordMachineAction(Connection& db,
                                               const ApiTask& task,
                                               absl::string_view action_id,
                                               absl::string_view status);

// A new POST is about to be sent for the task (after a lookup found none).
[[nodiscard]] absl::Status SetRequestedAt(Connection& db, const ApiTask& task,
                                          int64_t requested_at);

// The rate limit's call log (defender_api_calls).
[[nodiscard]] absl::StatusOr<int64_t> InsertApiCall(Connection& db, int64_t at);
[[nodiscard]] absl::Status MoveApiCall(Connection& db, int64_t id, int64_t at);
// Deletes calls before `since` and returns the times of the others.
[[nodiscard]] absl::StatusOr<std::vector<int64_t>> LoadApiCalls(Connection& db,
                                                                int64_t since);

// The message of a task that is still QUEUED ("waiting for ...", or "").
[[nodiscard]] absl::Status SetQueuedTaskMessage(Connection& db,
                                                absl::string_view task_id,
                                                absl::string_view message);
// jobs.api_waiting (GetJob's rollout.api_waiting).
[[nodiscard]] absl::Status SetJobApiWaiting(Connection& db,
                                            absl::string_view job_id,
                                            int64_t count);
// Clears every waiting message and count (at start: they are recomputed).
[[nodiscard]] absl::Status ClearApiWaiting(Connection& db,
                                           absl::string_view message_prefix);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_API_TASKS_H_

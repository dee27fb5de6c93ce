// onboard tasks whose runner steps are done and whose last step,
// confirm_in_defender, the server executes itself (server/defender/
// confirm_worker.h), in the caller's transaction.
//
// Hand-over: when a runner reports its last step SUCCEEDED and the task's
// plan continues with a server-executed step, the task stays RUNNING, keeps
// its lease id (a repeated final report is still recognized as a repeat) and
// loses its lease expiry (NULL): lease expiry, redelivery and the renewal
// after a restart leave it alone, as they leave api_offboard's tasks. The
// server step becomes RUNNING with started_at = the hand-over, which is what
// its deadline counts from, so a restarted server resumes every pending
// confirmation from the database alone.
#ifndef MDEFLEET_SERVER_STORE_DEFENDER_CONFIRMATIONS_H_
#define MDEFLEET_SERVER_STORE_DEFENDER_CONFIRMATIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

// When step `step_index` is the last runner step of `task`'s plan and a
// server-executed step follows, hands the task over (see above) and returns
// true; false (nothing changed) otherwise.
[[nodiscard]] absl::StatusOr<bool> HandOverToServer(Connection& db,
                                                    const TaskKey& task,
                                                    uint32_t step_index,
                                                    int64_t now,
                                                    WriteEffects* effects);

// A task waiting for the server's confirm_in_defender step.
struct ConfirmTask {
  std::string task_id;
  std::string job_id;
  int64_t attempt = 1;
  std::string hostname;
  // The device's Defender machine id (senseId) from its latest facts: the
  // runner's final report carries facts collected after the onboarding, and
  // every poll refreshes them. "" while the sensor has not written it.
  std::string machine_id;
  int64_t started_at = 0;    // the attempt started (before the onboarding)
  int64_t handed_over = 0;   // the runner's steps ended
  int64_t task_timeout = 0;  // micros; 0: none
  int step = 0;              // index of confirm_in_defender
  std::string step_message;
  v1::JobState job_state = v1::JOB_STATE_UNSPECIFIED;

  TaskKey key() const {
    return TaskKey{task_id, job_id, v1::TASK_STATE_RUNNING, attempt};
  }
};

// Every task handed over to the server, oldest hand-over first.
[[nodiscard]] absl::StatusOr<std::vector<ConfirmTask>> ListConfirmTasks(
    Connection& db);

// The device's current machine id (facts may arrive after the hand-over).
[[nodiscard]] absl::StatusOr<std::string> ConfirmMachineId(
    Connection& db, absl::string_view task_id);

// Sets the confirm step's state and message (finished_at when final).
[[nodiscard]] absl::Status SetConfirmStep(Connection& db,
                                          const ConfirmTask& task,
                                          v1::StepState state,
                                          absl::string_view message,
                                          int64_t now);

// Ends a handed-over task: its confirm step `step_state` with
// `step_message`, the task `to` with `message`.
[[nodiscard]] absl::Status EndConfirmTask(
    Connection& db, const ConfirmTask& task, v1::StepState step_state,
    absl::string_view step_message, v1::TaskState to, absl::string_view message,
    int64_t now, WriteEffects* effects);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_DEFENDER_CONFIRMATIONS_H_

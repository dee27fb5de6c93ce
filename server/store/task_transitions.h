// Task state transitions and the per-job counters that move with them, in the
// caller's transaction. Job progress is always read from the counters.
#ifndef MDEFLEET_SERVER_STORE_TASK_TRANSITIONS_H_
#define MDEFLEET_SERVER_STORE_TASK_TRANSITIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// What a write changed, for the notifications sent after it committed.
struct WriteEffects {
  std::set<std::string> changed_jobs;   // job progress/state changed
  std::set<std::string> finished_jobs;  // reached a final state
  std::set<std::string> paused_jobs;    // paused by the rollout policy
  // job -> how many more of its tasks may be leased now (a max_in_flight slot
  // freed, a wave opened, the job resumed): about twice as many waiting
  // devices with queued tasks in it are woken.
  std::map<std::string, int> freed_slots;
  std::vector<std::string> wake_devices;  // devices that got work
  void Merge(WriteEffects&& other);
};

bool IsTerminal(v1::TaskState state);
bool IsTerminal(v1::JobState state);

// jobs.<column> counting tasks in `state`.
const char* CounterColumn(v1::TaskState state);

// Moves one task of `job_id` from one counter to another.
[[nodiscard]] absl::Status MoveTaskCounter(Connection& db,
                                           absl::string_view job_id,
                                           v1::TaskState from,
                                           v1::TaskState to);

// The task being ended.
struct TaskKey {
  std::string id;
  std::string job_id;
  v1::TaskState state = v1::TASK_STATE_UNSPECIFIED;
  int64_t attempt = 1;
};

// The job's name for a task state ("timed_out").
std::string TaskStateWord(v1::TaskState state);
std::string JobStateWord(v1::JobState state);

struct EndTaskOptions {
  v1::TaskState to = v1::TASK_STATE_FAILED;
  std::string message;          // task message
  std::string pending_message;  // pending steps -> SKIPPED with this message
  // When set, RUNNING steps become FAILED with this message (timeouts).
  std::string running_message;
};

// Marks the RUNNING steps of `task`'s attempt FAILED with `message` (a lease
// that expired or a task that ended while a step was running).
[[nodiscard]] absl::Status FailRunningSteps(Connection& db, const TaskKey& task,
                                            absl::string_view message,
                                            int64_t now);

// Ends a task: state, message, finished_at, remaining steps, counters, the
// rollout (wave accounting, canary and failure threshold: see rollout.h), and
// the job when all its tasks are final. Records effects.
[[nodiscard]] absl::Status EndTask(Connection& db, const TaskKey& task,
                                   const EndTaskOptions& options, int64_t now,
                                   WriteEffects* effects);

// Ends a PENDING/RUNNING/PAUSED job when every task is final: EXPIRED when
// its deadline expired some, else SUCCEEDED when none failed or timed out,
// else FAILED, with a reason.
[[nodiscard]] absl::Status MaybeFinishJob(Connection& db,
                                          absl::string_view job_id, int64_t now,
                                          WriteEffects* effects);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_TASK_TRANSITIONS_H_

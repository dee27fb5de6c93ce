// The api_offboard task state machine: after each outcome (a machine action
// read, a call that failed, a lastSeen check, a restart, a cancelled job),
// what a task does next, which of its steps change and whether it ends, with
// the messages. Pure functions over plain structs: no store, no HTTP, no
// clock (the caller passes `now`). OffboardWorker makes the calls
// (OffboardCalls) and writes what these decide (OffboardTaskStore).
//
// A task's steps: request_offboard (POST), wait_machine_action (follow the
// action until it is final), confirm_last_seen_stopped (after Succeeded, until
// the machine's lastSeen stops; absent from tasks planned before it existed).
#ifndef MDEFLEET_SERVER_DEFENDER_OFFBOARD_TASK_MACHINE_H_
#define MDEFLEET_SERVER_DEFENDER_OFFBOARD_TASK_MACHINE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/defender/defender_api.h"
#include "server/store/api_tasks.h"

namespace mdefleet::defender {

// Indexes of an api_offboard task's steps.
inline constexpr int kOffboardRequestStep = 0;
inline constexpr int kOffboardWaitStep = 1;
inline constexpr int kOffboardConfirmStep = 2;

// What a running task does next.
enum class OffboardNext {
  kRequest,  // POST the offboarding
  kLookup,   // a request may have reached Defender: look its action up first
  kWait,     // follow its machine action (the batched poll)
  kConfirm,  // check that the machine's lastSeen stopped (batched lookup)
};

// A running api_offboard task as the worker follows it.
struct OffboardTask {
  store::ApiTask task;
  OffboardNext next = OffboardNext::kRequest;
  absl::Time not_before = absl::InfinitePast();
  int failures = 0;      // 5xx / no answer in a row
  int unauthorized = 0;  // 401s
  // confirm_last_seen_stopped: since when lastSeen must not move, what the
  // last check saw, and how many checks saw it move.
  absl::Time confirm_since = absl::InfinitePast();
  absl::Time last_seen = absl::InfinitePast();
  int checks = 0;
};

// The worker's timings the decisions use (from its WorkerOptions).
struct OffboardTiming {
  absl::Duration poll_interval = absl::Seconds(30);
  absl::Duration first_backoff = absl::Seconds(2);
  absl::Duration max_backoff = absl::Minutes(5);
  int max_attempts = 6;
};

// One step's new state and message.
struct OffboardStepWrite {
  int index = 0;
  v1::StepState state = v1::STEP_STATE_UNSPECIFIED;
  std::string message;
};

// How a task ends. `failed_step` >= 0: that step ends too (SUCCEEDED when
// the task does, FAILED otherwise) with `step_message`.
struct OffboardTaskEnd {
  v1::TaskState to = v1::TASK_STATE_UNSPECIFIED;
  std::string message;
  int failed_step = -1;
  std::string step_message;
};

// A machine action to record on the task (id and status).
struct OffboardActionRecord {
  std::string id;
  std::string status;
};

// What follows an outcome, applied in this order: the budget blocked until
// `block_calls_until`, the machine action recorded, `task` becomes the task's
// state, its steps written, then the task ended.
struct OffboardDecision {
  OffboardTask task;
  std::optional<absl::Time> block_calls_until;
  std::optional<OffboardActionRecord> record_action;
  std::vector<OffboardStepWrite> steps;
  std::optional<OffboardTaskEnd> end;
};

// A task RUNNING in the database that the worker does not follow yet
// (started before a restart): where it resumes at `now`.
OffboardTask ResumeOffboardTask(store::ApiTask row, absl::Time now);

// The task's job was cancelled, or its task timeout has passed at `now`: how
// it ends. nullopt: it goes on.
std::optional<OffboardTaskEnd> OffboardEndForJob(const store::ApiTask& task,
                                                 absl::Time now);

// Defender answered with the task's machine action (`how`: "created" by the
// POST or "found" by a lookup), at `now`.
OffboardDecision OnOffboardAction(const OffboardTask& t,
                                  const MachineAction& action,
                                  absl::string_view how, absl::Time now,
                                  const OffboardTiming& timing);

// A call for the task failed with `error` (`what` it was doing, for the
// message: "asking", "looking up"): retry later, look up, or fail the task.
OffboardDecision OnOffboardCallError(const OffboardTask& t,
                                     const absl::Status& error,
                                     absl::string_view what, absl::Time now,
                                     const OffboardTiming& timing);

// The batched poll could not read the machine actions (401/403): a task
// following one fails, its outcome cannot be known.
OffboardTaskEnd OffboardActionUnreadable(const OffboardTask& t,
                                         const absl::Status& error);

// The lastSeen check read `machine` (null: Defender no longer lists it).
OffboardDecision OnOffboardLastSeen(const OffboardTask& t,
                                    const Machine* machine, absl::Time now,
                                    const OffboardTiming& timing);

// The lastSeen check could not run (`error`, not a 429): try again after an
// outage, else skip the check (the action's Succeeded stands).
OffboardDecision OnOffboardLastSeenError(const OffboardTask& t,
                                         const absl::Status& error,
                                         absl::Time now,
                                         const OffboardTiming& timing);

// Of a lookup's answer, the machine action a task for `machine_id` adopts:
// the newest of that machine (or of no named machine). Null: none.
const MachineAction* NewestOffboardAction(
    const std::vector<MachineAction>& actions, const std::string& machine_id);

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_OFFBOARD_TASK_MACHINE_H_

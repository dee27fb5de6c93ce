// Executes api_offboard tasks in the server: starts queued tasks as their
// job's rollout allows and the Defender API rate limit has room, POSTs the
// offboarding, follows the machine actions with one list call per poll
// interval, and records every step like a runner would. The rate limit is
// server-wide and persisted (defender_api_calls), so it holds across
// restarts, and shared with onboard's confirmations (ApiCallBudget); tasks
// the limit holds back stay QUEUED with the message
// "waiting for the Defender API rate limit (N ahead)" and are counted in
// the job's rollout.api_waiting.
//
// Crash safety: the task starts (RUNNING, request_offboard RUNNING, a
// defender_actions row with requested_at) in one transaction before the POST
// is sent; the machine action id is recorded when the answer comes back. A
// RUNNING task without an action id after a restart, or after a request that
// got no answer, may have reached Defender: the worker first lists the
// machine's Offboard actions created since requested_at (minus a clock-skew
// margin) and adopts the newest, and only POSTs again when there is none. A
// POST answered 400 ActiveRequestAlreadyExists is looked up the same way.
//
// After the action Succeeded, confirm_last_seen_stopped checks that the
// sensor stopped reporting: one batched GET /api/machines per poll interval
// for every task at that step, until a machine's lastSeen is not after the
// moment the server saw the action Succeeded (the step's start, persisted,
// so a restart resumes it) or did not move between two checks; after
// kLastSeenChecks checks that saw it move, the task fails. A check that
// cannot run (403, a refused query, repeated 5xx) is skipped saying why: the
// action's Succeeded stands.
//
// The parts: the calls and their accounting in the budget (offboard_calls.h),
// what a task does after each outcome (offboard_task_machine.h), how tasks
// are read and recorded (offboard_task_recorder.h), the queued tasks'
// messages (api_waiting_messages.h); the passes that call the API are in
// offboard_worker_calls.cc, the loop in offboard_worker.cc.
#ifndef MDEFLEET_SERVER_DEFENDER_OFFBOARD_WORKER_H_
#define MDEFLEET_SERVER_DEFENDER_OFFBOARD_WORKER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/defender/api_call_budget.h"
#include "server/defender/api_waiting_messages.h"
#include "server/defender/defender_api.h"
#include "server/defender/offboard_calls.h"
#include "server/defender/offboard_task_machine.h"
#include "server/defender/offboard_task_recorder.h"
#include "server/defender/worker_thread.h"
#include "server/service/event_hub.h"
#include "server/store/store.h"

namespace mdefleet::defender {

struct WorkerOptions {
  // Outstanding machine actions are looked up this often (one call).
  absl::Duration poll_interval = absl::Seconds(30);
  // After a 5xx or no answer: first backoff, doubling up to max_backoff;
  // the task fails after max_attempts tries of one call.
  absl::Duration first_backoff = absl::Seconds(2);
  absl::Duration max_backoff = absl::Minutes(5);
  int max_attempts = 6;
  // Looking up a request that may have reached Defender: actions created
  // this long before it count too (clocks differ).
  absl::Duration lookup_margin = absl::Minutes(10);
  // Idle check interval, and how often waiting messages are refreshed.
  absl::Duration tick = absl::Seconds(1);
  // Queued tasks given a "N ahead" message per pass (the rest get "N+").
  int waiting_messages_limit = 1000;
};

class OffboardWorker {
 public:
  // All references must outlive the worker. `hub` may be null (tests).
  // `budget` is the server's one Defender API budget (Recover()ed first).
  OffboardWorker(store::Store& store, const Clock& clock,
                 service::EventHub* hub, DefenderApi& api, TokenSource& tokens,
                 ApiCallBudget& budget, WorkerOptions options);
  ~OffboardWorker();

  // Clears stale waiting messages. Call once before RunOnce/Start.
  [[nodiscard]] absl::Status Recover();

  // One pass at the clock's now: cancellations and timeouts, the poll when
  // due, retries due, new tasks while the limiter has room, waiting
  // messages. Returns when the next pass has something to do.
  [[nodiscard]] absl::StatusOr<absl::Time> RunOnce();

  // A thread calling RunOnce until Stop; Wake makes it look now (a job was
  // submitted, resumed...).
  void Start();
  void Stop();
  void Wake();

  const ApiCallBudget& budget() const { return calls_.budget(); }

 private:
  // Follows the RUNNING tasks of the database: adopts those started before
  // a restart, ends those of cancelled jobs and past their timeout.
  [[nodiscard]] absl::Status SyncRunning(absl::Time now);
  // One batched machine actions lookup for the tasks following one.
  [[nodiscard]] absl::Status Poll(absl::Time now);
  [[nodiscard]] absl::Status OnPollError(const absl::Status& error);
  // One batched machines lookup for the tasks whose confirm check is due.
  [[nodiscard]] absl::Status ConfirmStopped(absl::Time now);
  [[nodiscard]] absl::Status OnConfirmError(const std::vector<std::string>& due,
                                            const absl::Status& error);
  // Ids of the tasks that are `next` (copied: ending a task erases it).
  std::vector<std::string> IdsOf(OffboardNext next) const;
  [[nodiscard]] absl::Status Advance(OffboardTask& t);
  [[nodiscard]] absl::Status Request(OffboardTask& t);
  [[nodiscard]] absl::Status Lookup(OffboardTask& t);
  // The budget had no room for t's call: t waits until there is.
  void WaitForRoom(OffboardTask& t);
  [[nodiscard]] absl::Status StartQueued(absl::Time now);
  // When the next pass has something to do.
  absl::Time NextPass(absl::Time now) const;

  // Carries out a decision of the task machine (offboard_task_machine.h);
  // `t` is gone from running_ when it ended the task.
  [[nodiscard]] absl::Status Apply(OffboardTask& t, OffboardDecision d);
  [[nodiscard]] absl::Status End(OffboardTask& t, const OffboardTaskEnd& end);
  OffboardTiming Timing() const;

  const Clock& clock_;
  WorkerOptions options_;
  OffboardCalls calls_;
  OffboardTaskRecorder tasks_;

  std::map<std::string, OffboardTask> running_;  // by task id
  absl::Time next_poll_ = absl::InfinitePast();
  ApiWaitingMessages waiting_;

  // Last member: stopped (joined) before the others go.
  WorkerThread thread_;
};

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_OFFBOARD_WORKER_H_

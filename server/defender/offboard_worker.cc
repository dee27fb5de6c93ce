#include "server/defender/offboard_worker.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_offboard.h"
#include "common/status_macros.h"
#include "server/defender/log_text.h"
#include "server/service/log.h"
#include "server/store/time_util.h"

namespace mdefleet::defender {
namespace {

using store::FromMicros;
using store::ToMicros;

constexpr int kRequestStep = 0;
constexpr int kWaitStep = 1;
constexpr int kConfirmStep = 2;

std::string PendingText(const MachineAction& a) {
  return absl::StrCat(
      "machine action ", a.id, " is ", a.status.empty() ? "Pending" : a.status,
      a.status == "InProgress"
          ? ": the device is being offboarded"
          : ": Defender runs it when the device next contacts it");
}

}  // namespace

OffboardWorker::OffboardWorker(store::Store& store, const Clock& clock,
                               service::EventHub* hub, DefenderApi& api,
                               TokenSource& tokens, ApiCallBudget& budget,
                               WorkerOptions options)
    : store_(store),
      clock_(clock),
      hub_(hub),
      api_(api),
      tokens_(tokens),
      budget_(budget),
      options_(options),
      waiting_(store, hub, options.waiting_messages_limit, options.tick) {}

OffboardWorker::~OffboardWorker() { Stop(); }

absl::Status OffboardWorker::Recover() { return waiting_.Clear(); }

absl::Status OffboardWorker::Step(const Tracked& t, int index,
                                  v1::StepState state,
                                  absl::string_view message) {
  const int64_t now = ToMicros(clock_.Now());
  store::WriteEffects effects;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) {
    return store::SetApiStep(db, t.task, index, state, message, now);
  }));
  effects.changed_jobs.insert(t.task.job_id);
  if (hub_ != nullptr) hub_->Publish(effects);
  return absl::OkStatus();
}

absl::Status OffboardWorker::EndTask(Tracked& t, v1::TaskState to,
                                     absl::string_view message, int failed_step,
                                     absl::string_view step_message) {
  const int64_t now = ToMicros(clock_.Now());
  store::WriteEffects effects;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    effects = {};
    if (failed_step >= 0) {
      RETURN_IF_ERROR(store::SetApiStep(db, t.task, failed_step,
                                        to == v1::TASK_STATE_SUCCEEDED
                                            ? v1::STEP_STATE_SUCCEEDED
                                            : v1::STEP_STATE_FAILED,
                                        step_message, now));
    }
    const std::string not_run = to == v1::TASK_STATE_CANCELLED
                                    ? "not run: job cancelled"
                                    : "not run: an earlier step failed";
    return store::EndTask(db, t.task.key(),
                          {.to = to,
                           .message = std::string(message),
                           .pending_message = not_run,
                           .running_message = std::string(message)},
                          now, &effects);
  }));
  if (hub_ != nullptr) hub_->Publish(effects);
  LogEvent(absl::StrCat("api_offboard: task ", t.task.task_id, " (",
                        t.task.hostname, ") ", store::TaskStateWord(to), ": ",
                        message));
  running_.erase(t.task.task_id);
  return absl::OkStatus();
}

absl::Status OffboardWorker::SyncRunning(absl::Time now) {
  std::vector<store::ApiTask> rows;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(rows, store::ListRunningApiTasks(db));
    return absl::OkStatus();
  }));
  std::set<std::string> seen;
  for (store::ApiTask& row : rows) {
    seen.insert(row.task_id);
    auto it = running_.find(row.task_id);
    if (it == running_.end()) {
      // Started before a restart (or by another pass): what was done is in
      // the database.
      Tracked t;
      t.next = row.action_id.empty() ? Next::kLookup : Next::kWait;
      if (row.step == kConfirmStep && row.confirm_since > 0) {
        t.next = Next::kConfirm;
        t.confirm_since = FromMicros(row.confirm_since);
        t.not_before = now;
      }
      t.task = std::move(row);
      if (t.next == Next::kLookup) {
        LogEvent(absl::StrCat(
            "api_offboard: task ", t.task.task_id, " (", t.task.hostname,
            ") was requesting its offboarding when the server stopped; "
            "looking its machine actions up before asking again"));
      }
      it = running_.emplace(t.task.task_id, std::move(t)).first;
    } else {
      it->second.task.job_state = row.job_state;
    }
  }
  for (auto it = running_.begin(); it != running_.end();) {
    it = seen.count(it->first) ? std::next(it) : running_.erase(it);
  }
  std::vector<std::string> ids;
  for (const auto& [id, t] : running_) ids.push_back(id);
  for (const std::string& id : ids) {
    Tracked& t = running_.at(id);
    const std::string action =
        t.task.action_id.empty()
            ? std::string("no machine action was recorded")
            : absl::StrCat("machine action ", t.task.action_id,
                           " stays in Defender (cancel it in the portal's "
                           "Action center if needed)");
    if (t.task.job_state == v1::JOB_STATE_CANCELLED) {
      RETURN_IF_ERROR(EndTask(t, v1::TASK_STATE_CANCELLED,
                              absl::StrCat("job cancelled; ", action), -1, ""));
      continue;
    }
    if (t.task.task_timeout > 0 &&
        ToMicros(now) >= t.task.started_at + t.task.task_timeout) {
      RETURN_IF_ERROR(EndTask(
          t, v1::TASK_STATE_TIMED_OUT,
          absl::StrCat(
              "task timeout (",
              absl::FormatDuration(absl::Microseconds(t.task.task_timeout)),
              ") reached: ", action),
          -1, ""));
    }
  }
  return absl::OkStatus();
}

absl::Status OffboardWorker::OnAction(Tracked& t, const MachineAction& action,
                                      absl::string_view how) {
  const bool first = t.task.action_id != action.id || t.next != Next::kWait;
  if (first) {
    RETURN_IF_ERROR(store_.Write([&](store::Connection& db) {
      return store::RecordMachineAction(db, t.task, action.id, action.status);
    }));
    t.task.action_id = action.id;
    t.next = Next::kWait;
    t.failures = 0;
    if (t.task.step == kRequestStep) {
      RETURN_IF_ERROR(Step(t, kRequestStep, v1::STEP_STATE_SUCCEEDED,
                           absl::StrCat(how, " machine action ", action.id,
                                        " (", action.status, ")")));
      t.task.step = kWaitStep;
    }
  }
  if (action.status == "Succeeded" && t.task.steps > kConfirmStep) {
    RETURN_IF_ERROR(Step(t, kWaitStep, v1::STEP_STATE_SUCCEEDED,
                         absl::StrCat("machine action ", action.id,
                                      " Succeeded: the sensor was told to "
                                      "stop reporting")));
    t.task.step = kConfirmStep;
    t.next = Next::kConfirm;
    t.confirm_since = clock_.Now();
    t.not_before = t.confirm_since + options_.poll_interval;
    t.checks = 0;
    t.last_seen = absl::InfinitePast();
    return Step(t, kConfirmStep, v1::STEP_STATE_RUNNING,
                absl::StrCat("checking in ", Seconds(options_.poll_interval),
                             " that the machine's lastSeen stopped moving"));
  }
  if (action.status == "Succeeded") {
    return EndTask(
        t, v1::TASK_STATE_SUCCEEDED,
        absl::StrCat("offboarded through the Defender API (machine action ",
                     action.id, ")"),
        kWaitStep,
        absl::StrCat("machine action ", action.id,
                     " Succeeded: the sensor stopped reporting; the device "
                     "turns Inactive in the portal after 7 days"));
  }
  if (IsFinalActionStatus(action.status)) {
    const std::string message = absl::StrCat(
        "machine action ", action.id, " ended ", action.status,
        action.status == "TimeOut"
            ? ": the device did not contact Defender in time; if it is gone "
              "for good it turns Inactive after 7 days anyway"
        : action.status == "Cancelled"
            ? ": cancelled in Defender (Action center)"
            : ": Defender could not offboard the device; see the "
              "Action center");
    return EndTask(t, v1::TASK_STATE_FAILED, message, kWaitStep, message);
  }
  if (first || t.task.action_status != action.status) {
    t.task.action_status = action.status;
    if (!first) {
      RETURN_IF_ERROR(store_.Write([&](store::Connection& db) {
        return store::RecordMachineAction(db, t.task, action.id, action.status);
      }));
    }
    RETURN_IF_ERROR(
        Step(t, kWaitStep, v1::STEP_STATE_RUNNING, PendingText(action)));
  }
  return absl::OkStatus();
}

absl::Status OffboardWorker::OnCallError(Tracked& t, const absl::Status& error,
                                         absl::string_view what) {
  const absl::Time now = clock_.Now();
  const std::string message(error.message());
  const int step = t.task.step;
  if (absl::IsResourceExhausted(error)) {
    const absl::Duration wait = RetryAfterOf(error).value_or(absl::Seconds(60));
    budget_.BlockUntil(now + wait);
    t.not_before = now + wait;
    return Step(t, step, v1::STEP_STATE_RUNNING,
                absl::StrCat(message, ": waiting ", Seconds(wait),
                             " (Retry-After) before ", what, " again"));
  }
  if (absl::IsAlreadyExists(error)) {
    t.next = Next::kLookup;
    t.not_before = now;
    return Step(t, step, v1::STEP_STATE_RUNNING,
                absl::StrCat(message, "; looking it up"));
  }
  if (absl::IsUnauthenticated(error) && !error.message().empty() &&
      t.unauthorized == 0 && !absl::StrContains(message, "token endpoint")) {
    // The token may have been revoked or expired early: one retry with a
    // fresh one.
    ++t.unauthorized;
    t.not_before = now;
    return absl::OkStatus();
  }
  if (absl::IsUnavailable(error)) {
    ++t.failures;
    if (NoAnswer(error) && t.next == Next::kRequest) t.next = Next::kLookup;
    if (t.failures >= options_.max_attempts) {
      const std::string m =
          absl::StrCat(message, " (gave up after ", t.failures, " tries)");
      return EndTask(t, v1::TASK_STATE_FAILED, m, step, m);
    }
    absl::Duration backoff = options_.first_backoff;
    for (int i = 1; i < t.failures && backoff < options_.max_backoff; ++i) {
      backoff *= 2;
    }
    backoff = std::min(backoff, options_.max_backoff);
    t.not_before = now + backoff;
    return Step(t, step, v1::STEP_STATE_RUNNING,
                absl::StrCat(message, "; try ", t.failures + 1, " of ",
                             options_.max_attempts, " in ", Seconds(backoff)));
  }
  return EndTask(t, v1::TASK_STATE_FAILED, message, step, message);
}

absl::Status OffboardWorker::Later(Tracked& t, const absl::Status& s) {
  // onboard's confirmations share the budget and may take the last slot
  // between HasRoom and BeginCall: try again when there is room.
  if (!absl::IsResourceExhausted(s)) return s;
  t.not_before = budget_.NextAllowed(clock_.Now());
  return absl::OkStatus();
}

absl::Status OffboardWorker::Lookup(Tracked& t) {
  absl::Time started;
  int64_t id = 0;
  if (absl::Status s = budget_.BeginCall(&started, &id); !s.ok()) {
    return Later(t, s);
  }
  absl::StatusOr<std::vector<MachineAction>> actions = api_.ListOffboardActions(
      FromMicros(t.task.requested_at) - options_.lookup_margin,
      t.task.machine_id);
  RETURN_IF_ERROR(budget_.EndCall(started, id));
  if (!actions.ok()) {
    return OnCallError(t, actions.status(), "looking up");
  }
  const MachineAction* newest = nullptr;
  for (const MachineAction& a : *actions) {
    if (a.machine_id != t.task.machine_id && !a.machine_id.empty()) continue;
    if (newest == nullptr || a.created > newest->created) newest = &a;
  }
  if (newest != nullptr) {
    LogEvent(absl::StrCat("api_offboard: task ", t.task.task_id, " (",
                          t.task.hostname, "): adopted machine action ",
                          newest->id, " (", newest->status,
                          ") instead of requesting again"));
    return OnAction(t, *newest, "found");
  }
  // Nothing reached Defender: ask (again).
  t.next = Next::kRequest;
  t.not_before = clock_.Now();
  const int64_t now = ToMicros(clock_.Now());
  t.task.requested_at = now;
  return store_.Write([&](store::Connection& db) {
    return store::SetRequestedAt(db, t.task, now);
  });
}

absl::Status OffboardWorker::Request(Tracked& t) {
  absl::Time started;
  int64_t id = 0;
  if (absl::Status s = budget_.BeginCall(&started, &id); !s.ok()) {
    return Later(t, s);
  }
  absl::StatusOr<MachineAction> action =
      api_.Offboard(t.task.machine_id, t.task.comment);
  RETURN_IF_ERROR(budget_.EndCall(started, id));
  if (!action.ok()) return OnCallError(t, action.status(), "asking");
  LogEvent(absl::StrCat("api_offboard: task ", t.task.task_id, " (",
                        t.task.hostname, "): machine action ", action->id, " (",
                        action->status, ")"));
  return OnAction(t, *action, "created");
}

absl::Status OffboardWorker::Advance(Tracked& t) {
  // The token first: its endpoint does not count toward the limit, and a
  // refused secret should not use up a call.
  absl::StatusOr<std::string> token = tokens_.Token();
  if (!token.ok()) return OnCallError(t, token.status(), "asking");
  return t.next == Next::kLookup ? Lookup(t) : Request(t);
}

std::vector<std::string> OffboardWorker::WaitingIds() const {
  // Copied out: ending a task erases it from running_.
  std::vector<std::string> ids;
  for (const auto& [id, t] : running_) {
    if (t.next == Next::kWait) ids.push_back(id);
  }
  return ids;
}

absl::Status OffboardWorker::Poll(absl::Time now) {
  absl::Time since = absl::InfiniteFuture();
  size_t waiting = 0;
  for (const auto& [id, t] : running_) {
    if (t.next != Next::kWait) continue;
    ++waiting;
    since = std::min(since, FromMicros(t.task.requested_at));
  }
  if (waiting == 0 || now < next_poll_ || !HasRoom()) return absl::OkStatus();
  absl::StatusOr<std::string> token = tokens_.Token();
  if (!token.ok()) {
    next_poll_ = now + options_.poll_interval;
    LogEvent(absl::StrCat("api_offboard: cannot follow machine actions: ",
                          token.status().message()));
    return absl::OkStatus();
  }
  absl::Time started;
  int64_t call = 0;
  if (absl::Status s = budget_.BeginCall(&started, &call); !s.ok()) {
    // onboard's confirmations took the last slot: poll when there is room.
    return absl::IsResourceExhausted(s) ? absl::OkStatus() : s;
  }
  absl::StatusOr<std::vector<MachineAction>> actions =
      api_.ListOffboardActions(since - options_.lookup_margin);
  RETURN_IF_ERROR(budget_.EndCall(started, call));
  next_poll_ = clock_.Now() + options_.poll_interval;
  if (!actions.ok()) {
    if (auto wait = RetryAfterOf(actions.status())) {
      budget_.BlockUntil(clock_.Now() + *wait);
      next_poll_ = clock_.Now() + *wait;
    }
    if (absl::IsPermissionDenied(actions.status()) ||
        absl::IsUnauthenticated(actions.status())) {
      // Nothing to wait for: the outcome cannot be read.
      for (const std::string& id : WaitingIds()) {
        Tracked& t = running_.at(id);
        const std::string m = absl::StrCat(
            "the offboarding was requested (machine action ", t.task.action_id,
            ") but its outcome cannot be read: ", actions.status().message());
        RETURN_IF_ERROR(EndTask(t, v1::TASK_STATE_FAILED, m, kWaitStep, m));
      }
      return absl::OkStatus();
    }
    LogEvent(absl::StrCat(
        "api_offboard: following machine actions: ", actions.status().message(),
        "; next try in ", Seconds(next_poll_ - clock_.Now())));
    return absl::OkStatus();
  }
  std::map<std::string, const MachineAction*> by_id;
  for (const MachineAction& a : *actions) by_id[a.id] = &a;
  for (const std::string& id : WaitingIds()) {
    Tracked& t = running_.at(id);
    auto it = by_id.find(t.task.action_id);
    if (it == by_id.end()) continue;
    RETURN_IF_ERROR(OnAction(t, *it->second, "created"));
  }
  return absl::OkStatus();
}

absl::Status OffboardWorker::OnLastSeen(Tracked& t, const Machine* machine) {
  const std::string& action = t.task.action_id;
  if (machine == nullptr) {
    return EndTask(
        t, v1::TASK_STATE_SUCCEEDED,
        absl::StrCat("offboarded through the Defender API (machine action ",
                     action, ")"),
        kConfirmStep,
        absl::StrCat("Defender no longer lists machine ", t.task.machine_id,
                     ": nothing reports for it"));
  }
  const absl::Time seen = machine->last_seen;
  const bool before = seen <= t.confirm_since;
  const bool still = t.last_seen != absl::InfinitePast() && seen == t.last_seen;
  if (before || still) {
    return EndTask(
        t, v1::TASK_STATE_SUCCEEDED,
        absl::StrCat("offboarded through the Defender API (machine action ",
                     action, ")"),
        kConfirmStep,
        absl::StrCat(
            "lastSeen ", Iso(seen),
            before
                ? absl::StrCat(" is not after the machine action Succeeded (",
                               Iso(t.confirm_since), ")")
                : " did not move since the last check",
            ": the sensor stopped reporting; the device turns Inactive in "
            "the portal after 7 days"));
  }
  ++t.checks;
  t.last_seen = seen;
  if (t.checks >= kLastSeenChecks) {
    const std::string m = absl::StrCat(
        "the machine action ", action, " Succeeded at ", Iso(t.confirm_since),
        " but lastSeen kept moving (", Iso(seen), " after ", t.checks,
        " checks ", Seconds(options_.poll_interval),
        " apart): the device still reports to Defender; it may have been "
        "onboarded again (a Group Policy or image that runs the onboarding "
        "script): check the device and the portal");
    return EndTask(t, v1::TASK_STATE_FAILED, m, kConfirmStep, m);
  }
  t.not_before = clock_.Now() + options_.poll_interval;
  return Step(t, kConfirmStep, v1::STEP_STATE_RUNNING,
              absl::StrCat("lastSeen ", Iso(seen),
                           " is after the machine action Succeeded (",
                           Iso(t.confirm_since), "); checking again in ",
                           Seconds(options_.poll_interval), " (check ",
                           t.checks + 1, " of ", kLastSeenChecks, ")"));
}

absl::Status OffboardWorker::ConfirmStopped(absl::Time now) {
  std::vector<std::string> due;
  for (const auto& [id, t] : running_) {
    if (t.next == Next::kConfirm && t.not_before <= now &&
        due.size() < DefenderApi::kMaxMachinesPerList) {
      due.push_back(id);
    }
  }
  if (due.empty() || !HasRoom()) return absl::OkStatus();
  absl::StatusOr<std::string> token = tokens_.Token();
  if (!token.ok()) {
    for (const std::string& id : due) {
      running_.at(id).not_before = now + options_.poll_interval;
    }
    LogEvent(absl::StrCat("api_offboard: cannot check lastSeen: ",
                          token.status().message()));
    return absl::OkStatus();
  }
  std::vector<std::string> machine_ids;
  for (const std::string& id : due) {
    machine_ids.push_back(running_.at(id).task.machine_id);
  }
  absl::Time started;
  int64_t call = 0;
  if (absl::Status s = budget_.BeginCall(&started, &call); !s.ok()) {
    return absl::IsResourceExhausted(s) ? absl::OkStatus() : s;
  }
  absl::StatusOr<std::vector<Machine>> machines =
      api_.ListMachines(machine_ids);
  RETURN_IF_ERROR(budget_.EndCall(started, call));
  if (!machines.ok()) {
    const absl::Status& e = machines.status();
    const absl::Time at = clock_.Now();
    if (auto retry = RetryAfterOf(e)) {
      budget_.BlockUntil(at + *retry);
      for (const std::string& id : due)
        running_.at(id).not_before = at + *retry;
      return absl::OkStatus();
    }
    for (const std::string& id : due) {
      Tracked& t = running_.at(id);
      if (absl::IsUnavailable(e) && ++t.failures < options_.max_attempts) {
        t.not_before = at + options_.poll_interval;
        continue;
      }
      // The machine action's Succeeded is Defender's own answer: a check
      // that cannot run (permission, a query the API refuses, an outage)
      // says so instead of failing an offboarding that happened.
      const std::string m =
          absl::StrCat("lastSeen could not be checked (", e.message(),
                       "); the machine action ", t.task.action_id,
                       " Succeeded, so the sensor was told to stop reporting");
      RETURN_IF_ERROR(Step(t, kConfirmStep, v1::STEP_STATE_SKIPPED, m));
      RETURN_IF_ERROR(EndTask(
          t, v1::TASK_STATE_SUCCEEDED,
          absl::StrCat("offboarded through the Defender API (machine action ",
                       t.task.action_id, "); lastSeen not checked"),
          -1, ""));
    }
    LogEvent(absl::StrCat("api_offboard: checking lastSeen: ", e.message()));
    return absl::OkStatus();
  }
  std::map<std::string, const Machine*> by_id;
  for (const Machine& m : *machines) {
    by_id[absl::AsciiStrToLower(m.id)] = &m;
  }
  for (const std::string& id : due) {
    Tracked& t = running_.at(id);
    auto it = by_id.find(absl::AsciiStrToLower(t.task.machine_id));
    RETURN_IF_ERROR(OnLastSeen(t, it == by_id.end() ? nullptr : it->second));
  }
  return absl::OkStatus();
}

absl::Status OffboardWorker::StartQueued(absl::Time now) {
  std::vector<store::StartableApiTask> startable;
  const int64_t limit = options_.waiting_messages_limit + 1;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(startable,
                     store::ListStartableApiTasks(db, ToMicros(now), limit));
    return absl::OkStatus();
  }));
  std::map<std::string, int64_t> started_in_job;
  std::vector<store::StartableApiTask> waiting;
  bool room = true;
  for (const store::StartableApiTask& s : startable) {
    const int64_t done = started_in_job[s.job_id];
    if (s.job_room >= 0 && done >= s.job_room) continue;  // rollout, not us
    room = room && HasRoom();
    if (!room) {
      waiting.push_back(s);
      continue;
    }
    std::optional<store::ApiTask> task;
    store::WriteEffects effects;
    const int64_t at = ToMicros(clock_.Now());
    RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
      effects = {};
      ASSIGN_OR_RETURN(task, store::StartApiTask(db, s.task_id, at, &effects));
      return absl::OkStatus();
    }));
    if (hub_ != nullptr) hub_->Publish(effects);
    waiting_.Forget(s.task_id);
    if (!task) continue;  // ended at once (skipped, or no longer startable)
    started_in_job[s.job_id] += 1;
    Tracked t;
    t.task = std::move(*task);
    Tracked& tracked =
        running_.emplace(t.task.task_id, std::move(t)).first->second;
    RETURN_IF_ERROR(Advance(tracked));
  }
  // Retries due go first, so they are ahead of every queued task.
  int64_t ahead = 0;
  for (const auto& [id, t] : running_) {
    ahead += t.next != Next::kWait && t.next != Next::kConfirm;
  }
  return waiting_.Update(waiting, ahead, now);
}

absl::StatusOr<absl::Time> OffboardWorker::RunOnce() {
  absl::Time now = clock_.Now();
  budget_.Prune(now);
  RETURN_IF_ERROR(SyncRunning(now));
  RETURN_IF_ERROR(Poll(now));
  RETURN_IF_ERROR(ConfirmStopped(clock_.Now()));
  // Retries and lookups that are due, oldest first.
  std::vector<std::string> due;
  for (const auto& [id, t] : running_) {
    if (t.next != Next::kWait && t.next != Next::kConfirm &&
        t.not_before <= clock_.Now()) {
      due.push_back(id);
    }
  }
  for (const std::string& id : due) {
    if (!HasRoom()) break;
    auto it = running_.find(id);
    if (it != running_.end()) RETURN_IF_ERROR(Advance(it->second));
  }
  now = clock_.Now();
  RETURN_IF_ERROR(StartQueued(now));

  // When there is something to do next.
  now = clock_.Now();
  absl::Time next = now + options_.tick;
  bool pending = !waiting_.empty();
  for (const auto& [id, t] : running_) {
    if (t.next == Next::kWait) {
      next = std::min(next, std::max(next_poll_, now));
    } else {
      pending = true;
      next = std::min(next, std::max(t.not_before, now));
    }
  }
  if (pending) next = std::max(next, budget_.NextAllowed(now));
  return next;
}

void OffboardWorker::Start() {
  thread_.Start("api_offboard", clock_, options_.tick,
                [this] { return RunOnce(); });
}

void OffboardWorker::Stop() { thread_.Stop(); }

void OffboardWorker::Wake() { thread_.Wake(); }

}  // namespace mdefleet::defender

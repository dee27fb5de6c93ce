// OffboardWorker's passes that call the Defender API, through OffboardCalls
// (each call counted in the budget and its call log), and hand the answers
// to the task machine: a task's request and lookup, the batched poll of the
// machine actions followed, the batched lastSeen check. The loop that runs
// them is in offboard_worker.cc.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/defender/log_text.h"
#include "server/defender/offboard_worker.h"
#include "server/service/log.h"
#include "server/store/time_util.h"

namespace mdefleet::defender {

using store::FromMicros;
using store::ToMicros;

void OffboardWorker::WaitForRoom(OffboardTask& t) {
  // onboard's confirmations share the budget and may take the last slot
  // between HasRoom and the call: try again when there is room.
  t.not_before = calls_.NextAllowed(clock_.Now());
}

absl::Status OffboardWorker::Lookup(OffboardTask& t) {
  CountedCall<std::vector<MachineAction>> actions = calls_.ListOffboardActions(
      FromMicros(t.task.requested_at) - options_.lookup_margin,
      t.task.machine_id);
  if (actions.no_room()) {
    WaitForRoom(t);
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(actions.counted);
  if (!actions.answer.ok()) {
    return Apply(t, OnOffboardCallError(t, actions.answer.status(),
                                        "looking up", clock_.Now(), Timing()));
  }
  if (const MachineAction* newest =
          NewestOffboardAction(*actions.answer, t.task.machine_id)) {
    LogEvent(absl::StrCat("api_offboard: task ", t.task.task_id, " (",
                          t.task.hostname, "): adopted machine action ",
                          newest->id, " (", newest->status,
                          ") instead of requesting again"));
    return Apply(t,
                 OnOffboardAction(t, *newest, "found", clock_.Now(), Timing()));
  }
  // Nothing reached Defender: ask (again).
  t.next = OffboardNext::kRequest;
  t.not_before = clock_.Now();
  t.task.requested_at = ToMicros(clock_.Now());
  return tasks_.SetRequestedAt(t.task, t.task.requested_at);
}

absl::Status OffboardWorker::Request(OffboardTask& t) {
  CountedCall<MachineAction> action =
      calls_.Offboard(t.task.machine_id, t.task.comment);
  if (action.no_room()) {
    WaitForRoom(t);
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(action.counted);
  if (!action.answer.ok()) {
    return Apply(t, OnOffboardCallError(t, action.answer.status(), "asking",
                                        clock_.Now(), Timing()));
  }
  LogEvent(absl::StrCat("api_offboard: task ", t.task.task_id, " (",
                        t.task.hostname, "): machine action ",
                        action.answer->id, " (", action.answer->status, ")"));
  return Apply(t, OnOffboardAction(t, *action.answer, "created", clock_.Now(),
                                   Timing()));
}

absl::Status OffboardWorker::Advance(OffboardTask& t) {
  // The token first: its endpoint does not count toward the limit, and a
  // refused secret should not use up a call.
  absl::StatusOr<std::string> token = calls_.Token();
  if (!token.ok()) {
    return Apply(t, OnOffboardCallError(t, token.status(), "asking",
                                        clock_.Now(), Timing()));
  }
  return t.next == OffboardNext::kLookup ? Lookup(t) : Request(t);
}

absl::Status OffboardWorker::Poll(absl::Time now) {
  absl::Time since = absl::InfiniteFuture();
  const std::vector<std::string> waiting = IdsOf(OffboardNext::kWait);
  for (const std::string& id : waiting) {
    since = std::min(since, FromMicros(running_.at(id).task.requested_at));
  }
  if (waiting.empty() || now < next_poll_ || !calls_.HasRoom()) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> token = calls_.Token();
  if (!token.ok()) {
    next_poll_ = now + options_.poll_interval;
    LogEvent(absl::StrCat("api_offboard: cannot follow machine actions: ",
                          token.status().message()));
    return absl::OkStatus();
  }
  CountedCall<std::vector<MachineAction>> actions =
      calls_.ListOffboardActions(since - options_.lookup_margin);
  // onboard's confirmations took the last slot: poll when there is room.
  if (actions.no_room()) return absl::OkStatus();
  RETURN_IF_ERROR(actions.counted);
  next_poll_ = clock_.Now() + options_.poll_interval;
  if (!actions.answer.ok()) return OnPollError(actions.answer.status());
  std::map<std::string, const MachineAction*> by_id;
  for (const MachineAction& a : *actions.answer) by_id[a.id] = &a;
  for (const std::string& id : IdsOf(OffboardNext::kWait)) {
    OffboardTask& t = running_.at(id);
    auto it = by_id.find(t.task.action_id);
    if (it == by_id.end()) continue;
    RETURN_IF_ERROR(Apply(t, OnOffboardAction(t, *it->second, "created",
                                              clock_.Now(), Timing())));
  }
  return absl::OkStatus();
}

absl::Status OffboardWorker::OnPollError(const absl::Status& error) {
  if (auto wait = RetryAfterOf(error)) {
    calls_.BlockUntil(clock_.Now() + *wait);
    next_poll_ = clock_.Now() + *wait;
  }
  if (absl::IsPermissionDenied(error) || absl::IsUnauthenticated(error)) {
    // Nothing to wait for: the outcome cannot be read.
    for (const std::string& id : IdsOf(OffboardNext::kWait)) {
      OffboardTask& t = running_.at(id);
      RETURN_IF_ERROR(End(t, OffboardActionUnreadable(t, error)));
    }
    return absl::OkStatus();
  }
  LogEvent(
      absl::StrCat("api_offboard: following machine actions: ", error.message(),
                   "; next try in ", Seconds(next_poll_ - clock_.Now())));
  return absl::OkStatus();
}

absl::Status OffboardWorker::ConfirmStopped(absl::Time now) {
  std::vector<std::string> due;
  for (const auto& [id, t] : running_) {
    if (t.next == OffboardNext::kConfirm && t.not_before <= now &&
        due.size() < DefenderApi::kMaxMachinesPerList) {
      due.push_back(id);
    }
  }
  if (due.empty() || !calls_.HasRoom()) return absl::OkStatus();
  absl::StatusOr<std::string> token = calls_.Token();
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
  CountedCall<std::vector<Machine>> machines = calls_.ListMachines(machine_ids);
  if (machines.no_room()) return absl::OkStatus();
  RETURN_IF_ERROR(machines.counted);
  if (!machines.answer.ok())
    return OnConfirmError(due, machines.answer.status());
  std::map<std::string, const Machine*> by_id;
  for (const Machine& m : *machines.answer) {
    by_id[absl::AsciiStrToLower(m.id)] = &m;
  }
  for (const std::string& id : due) {
    OffboardTask& t = running_.at(id);
    auto it = by_id.find(absl::AsciiStrToLower(t.task.machine_id));
    const Machine* machine = it == by_id.end() ? nullptr : it->second;
    RETURN_IF_ERROR(
        Apply(t, OnOffboardLastSeen(t, machine, clock_.Now(), Timing())));
  }
  return absl::OkStatus();
}

absl::Status OffboardWorker::OnConfirmError(const std::vector<std::string>& due,
                                            const absl::Status& error) {
  const absl::Time at = clock_.Now();
  if (auto retry = RetryAfterOf(error)) {
    calls_.BlockUntil(at + *retry);
    for (const std::string& id : due) running_.at(id).not_before = at + *retry;
    return absl::OkStatus();
  }
  for (const std::string& id : due) {
    OffboardTask& t = running_.at(id);
    RETURN_IF_ERROR(Apply(t, OnOffboardLastSeenError(t, error, at, Timing())));
  }
  LogEvent(absl::StrCat("api_offboard: checking lastSeen: ", error.message()));
  return absl::OkStatus();
}

}  // namespace mdefleet::defender

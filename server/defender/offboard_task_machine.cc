#include "server/defender/offboard_task_machine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_offboard.h"
#include "server/defender/log_text.h"
#include "server/store/time_util.h"

namespace mdefleet::defender {
namespace {

std::string PendingActionText(const MachineAction& a) {
  return absl::StrCat(
      "machine action ", a.id, " is ", a.status.empty() ? "Pending" : a.status,
      a.status == "InProgress"
          ? ": the device is being offboarded"
          : ": Defender runs it when the device next contacts it");
}

std::string OffboardedText(absl::string_view action_id) {
  return absl::StrCat("offboarded through the Defender API (machine action ",
                      action_id, ")");
}

std::string FinalActionText(const MachineAction& action) {
  return absl::StrCat(
      "machine action ", action.id, " ended ", action.status,
      action.status == "TimeOut"
          ? ": the device did not contact Defender in time; if it is gone "
            "for good it turns Inactive after 7 days anyway"
      : action.status == "Cancelled"
          ? ": cancelled in Defender (Action center)"
          : ": Defender could not offboard the device; see the "
            "Action center");
}

// The action Succeeded and the task has confirm_last_seen_stopped: the
// check starts a poll interval from now.
void StartConfirm(OffboardDecision& d, const MachineAction& action,
                  absl::Time now, const OffboardTiming& timing) {
  OffboardTask& n = d.task;
  d.steps.push_back({kOffboardWaitStep, v1::STEP_STATE_SUCCEEDED,
                     absl::StrCat("machine action ", action.id,
                                  " Succeeded: the sensor was told to "
                                  "stop reporting")});
  n.task.step = kOffboardConfirmStep;
  n.next = OffboardNext::kConfirm;
  n.confirm_since = now;
  n.not_before = n.confirm_since + timing.poll_interval;
  n.checks = 0;
  n.last_seen = absl::InfinitePast();
  d.steps.push_back(
      {kOffboardConfirmStep, v1::STEP_STATE_RUNNING,
       absl::StrCat("checking in ", Seconds(timing.poll_interval),
                    " that the machine's lastSeen stopped moving")});
}

// A 5xx or no answer: the next try after a backoff, or the end.
void OnUnavailable(OffboardDecision& d, const absl::Status& error,
                   absl::Time now, const OffboardTiming& timing) {
  OffboardTask& n = d.task;
  const std::string message(error.message());
  const int step = n.task.step;
  ++n.failures;
  if (NoAnswer(error) && n.next == OffboardNext::kRequest) {
    n.next = OffboardNext::kLookup;
  }
  if (n.failures >= timing.max_attempts) {
    const std::string m =
        absl::StrCat(message, " (gave up after ", n.failures, " tries)");
    d.end = OffboardTaskEnd{v1::TASK_STATE_FAILED, m, step, m};
    return;
  }
  absl::Duration backoff = timing.first_backoff;
  for (int i = 1; i < n.failures && backoff < timing.max_backoff; ++i) {
    backoff *= 2;
  }
  backoff = std::min(backoff, timing.max_backoff);
  n.not_before = now + backoff;
  d.steps.push_back(
      {step, v1::STEP_STATE_RUNNING,
       absl::StrCat(message, "; try ", n.failures + 1, " of ",
                    timing.max_attempts, " in ", Seconds(backoff))});
}

}  // namespace

OffboardTask ResumeOffboardTask(store::ApiTask row, absl::Time now) {
  OffboardTask t;
  t.next = row.action_id.empty() ? OffboardNext::kLookup : OffboardNext::kWait;
  if (row.step == kOffboardConfirmStep && row.confirm_since > 0) {
    t.next = OffboardNext::kConfirm;
    t.confirm_since = store::FromMicros(row.confirm_since);
    t.not_before = now;
  }
  t.task = std::move(row);
  return t;
}

std::optional<OffboardTaskEnd> OffboardEndForJob(const store::ApiTask& task,
                                                 absl::Time now) {
  const std::string action =
      task.action_id.empty()
          ? std::string("no machine action was recorded")
          : absl::StrCat("machine action ", task.action_id,
                         " stays in Defender (cancel it in the portal's "
                         "Action center if needed)");
  if (task.job_state == v1::JOB_STATE_CANCELLED) {
    return OffboardTaskEnd{v1::TASK_STATE_CANCELLED,
                           absl::StrCat("job cancelled; ", action), -1, ""};
  }
  if (task.task_timeout > 0 &&
      store::ToMicros(now) >= task.started_at + task.task_timeout) {
    return OffboardTaskEnd{
        v1::TASK_STATE_TIMED_OUT,
        absl::StrCat(
            "task timeout (",
            absl::FormatDuration(absl::Microseconds(task.task_timeout)),
            ") reached: ", action),
        -1, ""};
  }
  return std::nullopt;
}

OffboardDecision OnOffboardAction(const OffboardTask& t,
                                  const MachineAction& action,
                                  absl::string_view how, absl::Time now,
                                  const OffboardTiming& timing) {
  OffboardDecision d;
  d.task = t;
  OffboardTask& n = d.task;
  const bool first =
      t.task.action_id != action.id || t.next != OffboardNext::kWait;
  if (first) {
    d.record_action = OffboardActionRecord{action.id, action.status};
    n.task.action_id = action.id;
    n.next = OffboardNext::kWait;
    n.failures = 0;
    if (n.task.step == kOffboardRequestStep) {
      d.steps.push_back({kOffboardRequestStep, v1::STEP_STATE_SUCCEEDED,
                         absl::StrCat(how, " machine action ", action.id, " (",
                                      action.status, ")")});
      n.task.step = kOffboardWaitStep;
    }
  }
  if (action.status == "Succeeded" && n.task.steps > kOffboardConfirmStep) {
    StartConfirm(d, action, now, timing);
    return d;
  }
  if (action.status == "Succeeded") {
    d.end = OffboardTaskEnd{
        v1::TASK_STATE_SUCCEEDED, OffboardedText(action.id), kOffboardWaitStep,
        absl::StrCat("machine action ", action.id,
                     " Succeeded: the sensor stopped reporting; the device "
                     "turns Inactive in the portal after 7 days")};
    return d;
  }
  if (IsFinalActionStatus(action.status)) {
    const std::string message = FinalActionText(action);
    d.end = OffboardTaskEnd{v1::TASK_STATE_FAILED, message, kOffboardWaitStep,
                            message};
    return d;
  }
  if (first || n.task.action_status != action.status) {
    n.task.action_status = action.status;
    if (!first)
      d.record_action = OffboardActionRecord{action.id, action.status};
    d.steps.push_back(
        {kOffboardWaitStep, v1::STEP_STATE_RUNNING, PendingActionText(action)});
  }
  return d;
}

OffboardDecision OnOffboardCallError(const OffboardTask& t,
                                     const absl::Status& error,
                                     absl::string_view what, absl::Time now,
                                     const OffboardTiming& timing) {
  OffboardDecision d;
  d.task = t;
  OffboardTask& n = d.task;
  const std::string message(error.message());
  const int step = t.task.step;
  if (absl::IsResourceExhausted(error)) {
    const absl::Duration wait = RetryAfterOf(error).value_or(absl::Seconds(60));
    d.block_calls_until = now + wait;
    n.not_before = now + wait;
    d.steps.push_back({step, v1::STEP_STATE_RUNNING,
                       absl::StrCat(message, ": waiting ", Seconds(wait),
                                    " (Retry-After) before ", what, " again")});
  } else if (absl::IsAlreadyExists(error)) {
    n.next = OffboardNext::kLookup;
    n.not_before = now;
    d.steps.push_back({step, v1::STEP_STATE_RUNNING,
                       absl::StrCat(message, "; looking it up")});
  } else if (absl::IsUnauthenticated(error) && !error.message().empty() &&
             t.unauthorized == 0 &&
             !absl::StrContains(message, "token endpoint")) {
    // The token may have been revoked or expired early: one retry with a
    // fresh one.
    ++n.unauthorized;
    n.not_before = now;
  } else if (absl::IsUnavailable(error)) {
    OnUnavailable(d, error, now, timing);
  } else {
    d.end = OffboardTaskEnd{v1::TASK_STATE_FAILED, message, step, message};
  }
  return d;
}

OffboardTaskEnd OffboardActionUnreadable(const OffboardTask& t,
                                         const absl::Status& error) {
  const std::string m = absl::StrCat(
      "the offboarding was requested (machine action ", t.task.action_id,
      ") but its outcome cannot be read: ", error.message());
  return OffboardTaskEnd{v1::TASK_STATE_FAILED, m, kOffboardWaitStep, m};
}

OffboardDecision OnOffboardLastSeen(const OffboardTask& t,
                                    const Machine* machine, absl::Time now,
                                    const OffboardTiming& timing) {
  OffboardDecision d;
  d.task = t;
  OffboardTask& n = d.task;
  const std::string& action = t.task.action_id;
  if (machine == nullptr) {
    d.end = OffboardTaskEnd{
        v1::TASK_STATE_SUCCEEDED, OffboardedText(action), kOffboardConfirmStep,
        absl::StrCat("Defender no longer lists machine ", t.task.machine_id,
                     ": nothing reports for it")};
    return d;
  }
  const absl::Time seen = machine->last_seen;
  const bool before = seen <= t.confirm_since;
  const bool still = t.last_seen != absl::InfinitePast() && seen == t.last_seen;
  if (before || still) {
    d.end = OffboardTaskEnd{
        v1::TASK_STATE_SUCCEEDED, OffboardedText(action), kOffboardConfirmStep,
        absl::StrCat(
            "lastSeen ", Iso(seen),
            before
                ? absl::StrCat(" is not after the machine action Succeeded (",
                               Iso(t.confirm_since), ")")
                : " did not move since the last check",
            ": the sensor stopped reporting; the device turns Inactive in "
            "the portal after 7 days")};
    return d;
  }
  ++n.checks;
  n.last_seen = seen;
  if (n.checks >= kLastSeenChecks) {
    const std::string m = absl::StrCat(
        "the machine action ", action, " Succeeded at ", Iso(t.confirm_since),
        " but lastSeen kept moving (", Iso(seen), " after ", n.checks,
        " checks ", Seconds(timing.poll_interval),
        " apart): the device still reports to Defender; it may have been "
        "onboarded again (a Group Policy or image that runs the onboarding "
        "script): check the device and the portal");
    d.end = OffboardTaskEnd{v1::TASK_STATE_FAILED, m, kOffboardConfirmStep, m};
    return d;
  }
  n.not_before = now + timing.poll_interval;
  d.steps.push_back({kOffboardConfirmStep, v1::STEP_STATE_RUNNING,
                     absl::StrCat("lastSeen ", Iso(seen),
                                  " is after the machine action Succeeded (",
                                  Iso(t.confirm_since), "); checking again in ",
                                  Seconds(timing.poll_interval), " (check ",
                                  n.checks + 1, " of ", kLastSeenChecks, ")")});
  return d;
}

OffboardDecision OnOffboardLastSeenError(const OffboardTask& t,
                                         const absl::Status& error,
                                         absl::Time now,
                                         const OffboardTiming& timing) {
  OffboardDecision d;
  d.task = t;
  OffboardTask& n = d.task;
  if (absl::IsUnavailable(error) && ++n.failures < timing.max_attempts) {
    n.not_before = now + timing.poll_interval;
    return d;
  }
  // The machine action's Succeeded is Defender's own answer: a check that
  // cannot run (permission, a query the API refuses, an outage) says so
  // instead of failing an offboarding that happened.
  d.steps.push_back(
      {kOffboardConfirmStep, v1::STEP_STATE_SKIPPED,
       absl::StrCat("lastSeen could not be checked (", error.message(),
                    "); the machine action ", t.task.action_id,
                    " Succeeded, so the sensor was told to stop reporting")});
  d.end = OffboardTaskEnd{
      v1::TASK_STATE_SUCCEEDED,
      absl::StrCat(OffboardedText(t.task.action_id), "; lastSeen not checked"),
      -1, ""};
  return d;
}

const MachineAction* NewestOffboardAction(
    const std::vector<MachineAction>& actions, const std::string& machine_id) {
  const MachineAction* newest = nullptr;
  for (const MachineAction& a : actions) {
    if (a.machine_id != machine_id && !a.machine_id.empty()) continue;
    if (newest == nullptr || a.created > newest->created) newest = &a;
  }
  return newest;
}

}  // namespace mdefleet::defender

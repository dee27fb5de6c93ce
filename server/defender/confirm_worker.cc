#include "server/defender/confirm_worker.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

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

// What an operator checks when Defender does not list the device Active
// (article 001).
constexpr absl::string_view kWhatToCheck =
    "check the device in the Defender portal's device inventory, its "
    "connectivity to the Defender for Endpoint service (connectivity_test, "
    "proxy settings), and the SENSE event log on the device (Applications "
    "and Services Logs > Microsoft > Windows > SENSE)";

}  // namespace

ConfirmWorker::ConfirmWorker(store::Store& store, const Clock& clock,
                             service::EventHub* hub, DefenderApi& api,
                             TokenSource& tokens, ApiCallBudget& budget,
                             ConfirmOptions options)
    : store_(store),
      clock_(clock),
      hub_(hub),
      api_(api),
      tokens_(tokens),
      budget_(budget),
      options_(options) {}

ConfirmWorker::~ConfirmWorker() { Stop(); }

absl::StatusOr<int> ConfirmWorker::SkipPending(store::Store& store,
                                               const Clock& clock,
                                               absl::string_view reason) {
  int n = 0;
  store::WriteEffects effects;
  RETURN_IF_ERROR(store.Write([&](store::Connection& db) -> absl::Status {
    n = 0;
    effects = {};
    ASSIGN_OR_RETURN(std::vector<store::ConfirmTask> tasks,
                     store::ListConfirmTasks(db));
    const int64_t now = ToMicros(clock.Now());
    for (const store::ConfirmTask& t : tasks) {
      RETURN_IF_ERROR(store::EndConfirmTask(db, t, v1::STEP_STATE_SKIPPED,
                                            reason, v1::TASK_STATE_SUCCEEDED,
                                            "", now, &effects));
      ++n;
    }
    return absl::OkStatus();
  }));
  return n;
}

absl::Status ConfirmWorker::Progress(Tracked& t, absl::string_view message) {
  if (t.task.step_message == message) return absl::OkStatus();
  const int64_t now = ToMicros(clock_.Now());
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) {
    return store::SetConfirmStep(db, t.task, v1::STEP_STATE_RUNNING, message,
                                 now);
  }));
  t.task.step_message = std::string(message);
  if (hub_ != nullptr) {
    store::WriteEffects effects;
    effects.changed_jobs.insert(t.task.job_id);
    hub_->Publish(effects);
  }
  return absl::OkStatus();
}

absl::Status ConfirmWorker::End(Tracked& t, v1::StepState step_state,
                                absl::string_view step_message,
                                v1::TaskState to, absl::string_view message) {
  const int64_t now = ToMicros(clock_.Now());
  store::WriteEffects effects;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) {
    effects = {};
    return store::EndConfirmTask(db, t.task, step_state, step_message, to,
                                 message, now, &effects);
  }));
  if (hub_ != nullptr) hub_->Publish(effects);
  LogEvent(absl::StrCat("onboard: task ", t.task.task_id, " (", t.task.hostname,
                        ") ", store::TaskStateWord(to), ": ", step_message));
  tracked_.erase(t.task.task_id);
  return absl::OkStatus();
}

absl::Status ConfirmWorker::Sync() {
  std::vector<store::ConfirmTask> rows;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(rows, store::ListConfirmTasks(db));
    return absl::OkStatus();
  }));
  std::set<std::string> seen;
  for (store::ConfirmTask& row : rows) {
    seen.insert(row.task_id);
    auto it = tracked_.find(row.task_id);
    if (it == tracked_.end()) {
      Tracked t;
      t.task = std::move(row);
      tracked_.emplace(t.task.task_id, std::move(t));
    } else {
      // Facts (the machine id) and the job's state may have changed.
      it->second.task = std::move(row);
    }
  }
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    it = seen.count(it->first) ? std::next(it) : tracked_.erase(it);
  }
  return absl::OkStatus();
}

absl::Status ConfirmWorker::OnError(Tracked& t, const absl::Status& error) {
  const absl::Time now = clock_.Now();
  const std::string message(error.message());
  if (absl::IsResourceExhausted(error)) {
    const absl::Duration wait = RetryAfterOf(error).value_or(absl::Seconds(60));
    budget_.BlockUntil(now + wait);
    t.not_before = now + wait;
    return Progress(t, absl::StrCat(message, ": asking again in ",
                                    Seconds(wait), " (Retry-After)"));
  }
  if (absl::IsUnauthenticated(error) && t.unauthorized == 0 &&
      !absl::StrContains(message, "token endpoint")) {
    // The token may have been revoked or expired early: one retry with a
    // fresh one.
    ++t.unauthorized;
    t.not_before = now;
    return absl::OkStatus();
  }
  if (absl::IsUnavailable(error)) {
    ++t.failures;
    absl::Duration backoff = options_.first_backoff;
    for (int i = 1; i < t.failures && backoff < options_.max_backoff; ++i) {
      backoff *= 2;
    }
    backoff = std::min(backoff, options_.max_backoff);
    t.not_before = now + backoff;
    t.seen = message;
    return Progress(
        t, absl::StrCat(message, "; asking again in ", Seconds(backoff)));
  }
  // 401 again, 403, 400: Defender will not tell; waiting does not help.
  const std::string m = absl::StrCat(
      "cannot confirm the onboarding in Defender: ", message,
      "; the runner's checks passed (Sense running, OnboardingState = 1)");
  return End(t, v1::STEP_STATE_FAILED, m, v1::TASK_STATE_FAILED, m);
}

absl::Status ConfirmWorker::Check(Tracked& t) {
  const absl::Time now = clock_.Now();
  const std::string& id = t.task.machine_id;
  if (id.empty()) {
    t.not_before = now + options_.poll_interval;
    t.seen = "the device has not reported its Defender machine id (senseId)";
    return Progress(
        t, absl::StrCat("waiting for the device to report its Defender "
                        "machine id (senseId under HKLM\\SOFTWARE\\Microsoft\\"
                        "Windows Advanced Threat Protection), written by the "
                        "sensor when it registers with Defender"));
  }
  if (!IsMachineId(id)) {
    const std::string m = absl::StrCat(
        "the device reports mde_machine_id \"", id.substr(0, 64),
        "\", which is not a Defender machine id (40 hex characters), so the "
        "server cannot look it up; ",
        kWhatToCheck);
    return End(t, v1::STEP_STATE_FAILED, m, v1::TASK_STATE_FAILED, m);
  }
  absl::StatusOr<std::string> token = tokens_.Token();
  if (!token.ok()) return OnError(t, token.status());
  absl::Time started;
  int64_t call = 0;
  if (absl::Status s = budget_.BeginCall(&started, &call); !s.ok()) {
    if (!absl::IsResourceExhausted(s)) return s;
    t.not_before = budget_.NextAllowed(clock_.Now());
    return absl::OkStatus();
  }
  absl::StatusOr<Machine> machine = api_.GetMachine(id);
  RETURN_IF_ERROR(budget_.EndCall(started, call));
  if (!machine.ok() && !absl::IsNotFound(machine.status())) {
    return OnError(t, machine.status());
  }
  t.failures = 0;
  t.unauthorized = 0;
  ++t.checks;
  t.not_before = clock_.Now() + options_.poll_interval;
  const std::string next =
      absl::StrCat("; next check in ", Seconds(options_.poll_interval));
  if (!machine.ok()) {
    t.seen = absl::StrCat("Defender does not list machine ", id);
    return Progress(t, absl::StrCat("Defender does not list machine ", id,
                                    " yet (a newly onboarded device appears "
                                    "within minutes)",
                                    next));
  }
  const absl::Time onboarding = FromMicros(t.task.started_at);
  const bool active = machine->health_status == "Active";
  const bool fresh = machine->last_seen > onboarding;
  const std::string saw = absl::StrCat(
      "Defender lists ",
      machine->computer_dns_name.empty() ? id : machine->computer_dns_name,
      " with healthStatus ",
      machine->health_status.empty() ? "(none)" : machine->health_status,
      ", lastSeen ", Iso(machine->last_seen));
  if (active && fresh) {
    return End(t, v1::STEP_STATE_SUCCEEDED,
               absl::StrCat(saw, " (machine ", id, "): onboarding confirmed"),
               v1::TASK_STATE_SUCCEEDED, "");
  }
  t.seen = saw;
  return Progress(
      t, absl::StrCat(saw,
                      active ? absl::StrCat(", not after the onboarding (",
                                            Iso(onboarding),
                                            "); waiting for a fresh lastSeen")
                             : "; waiting for Active",
                      next));
}

absl::StatusOr<absl::Time> ConfirmWorker::RunOnce() {
  const absl::Time start = clock_.Now();
  budget_.Prune(start);
  RETURN_IF_ERROR(Sync());
  std::vector<std::string> ids;
  for (const auto& [id, t] : tracked_) ids.push_back(id);
  // Oldest hand-over first: it is nearest its deadline.
  std::sort(ids.begin(), ids.end(), [&](const auto& a, const auto& b) {
    return tracked_.at(a).task.handed_over < tracked_.at(b).task.handed_over;
  });
  for (const std::string& id : ids) {
    auto it = tracked_.find(id);
    if (it == tracked_.end()) continue;
    Tracked& t = it->second;
    const absl::Time now = clock_.Now();
    if (t.task.job_state == v1::JOB_STATE_CANCELLED) {
      RETURN_IF_ERROR(End(t, v1::STEP_STATE_SKIPPED,
                          "not confirmed: job cancelled",
                          v1::TASK_STATE_CANCELLED,
                          "job cancelled while the server was confirming the "
                          "onboarding in Defender"));
      continue;
    }
    if (t.task.task_timeout > 0 &&
        ToMicros(now) >= t.task.started_at + t.task.task_timeout) {
      const std::string m = absl::StrCat(
          "task timeout (",
          absl::FormatDuration(absl::Microseconds(t.task.task_timeout)),
          ") reached before Defender listed the device Active",
          t.seen.empty() ? "" : absl::StrCat(" (last: ", t.seen, ")"));
      RETURN_IF_ERROR(
          End(t, v1::STEP_STATE_FAILED, m, v1::TASK_STATE_TIMED_OUT, m));
      continue;
    }
    if (now >= FromMicros(t.task.handed_over) + options_.timeout) {
      const std::string m = absl::StrCat(
          "Defender did not list the device Active with a lastSeen after the "
          "onboarding within ",
          absl::FormatDuration(options_.timeout), " (",
          "last: ", t.seen.empty() ? t.task.step_message : t.seen,
          "); the runner's checks passed (Sense running, OnboardingState = "
          "1): ",
          kWhatToCheck);
      RETURN_IF_ERROR(
          End(t, v1::STEP_STATE_FAILED, m, v1::TASK_STATE_FAILED, m));
      continue;
    }
    if (t.not_before > now) continue;
    if (!budget_.HasRoom() && !t.task.machine_id.empty()) {
      RETURN_IF_ERROR(Progress(
          t, absl::StrCat(kApiWaitingPrefix, " (shared with api_offboard)")));
      continue;
    }
    RETURN_IF_ERROR(Check(t));
  }
  const absl::Time now = clock_.Now();
  absl::Time next = now + options_.tick;
  for (const auto& [id, t] : tracked_) {
    next = std::min(next, std::max(t.not_before, now));
    next = std::min(next, FromMicros(t.task.handed_over) + options_.timeout);
  }
  return std::max(next, now);
}

void ConfirmWorker::Start() {
  thread_.Start("onboard confirmation", clock_, options_.tick,
                [this] { return RunOnce(); });
}

void ConfirmWorker::Stop() { thread_.Stop(); }

}  // namespace mdefleet::defender

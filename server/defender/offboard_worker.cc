#include "server/defender/offboard_worker.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/log.h"

namespace mdefleet::defender {

OffboardWorker::OffboardWorker(store::Store& store, const Clock& clock,
                               service::EventHub* hub, DefenderApi& api,
                               TokenSource& tokens, ApiCallBudget& budget,
                               WorkerOptions options)
    : clock_(clock),
      options_(options),
      calls_(api, tokens, budget),
      tasks_(store, clock, hub),
      waiting_(store, hub, options.waiting_messages_limit, options.tick) {}

OffboardWorker::~OffboardWorker() { Stop(); }

absl::Status OffboardWorker::Recover() { return waiting_.Clear(); }

OffboardTiming OffboardWorker::Timing() const {
  OffboardTiming timing;
  timing.poll_interval = options_.poll_interval;
  timing.first_backoff = options_.first_backoff;
  timing.max_backoff = options_.max_backoff;
  timing.max_attempts = options_.max_attempts;
  return timing;
}

absl::Status OffboardWorker::End(OffboardTask& t, const OffboardTaskEnd& end) {
  RETURN_IF_ERROR(tasks_.End(t.task, end));
  const std::string id = t.task.task_id;  // t is the element erased
  running_.erase(id);
  return absl::OkStatus();
}

absl::Status OffboardWorker::Apply(OffboardTask& t, OffboardDecision d) {
  if (d.block_calls_until) calls_.BlockUntil(*d.block_calls_until);
  if (d.record_action) {
    RETURN_IF_ERROR(tasks_.RecordAction(t.task, *d.record_action));
  }
  t = std::move(d.task);
  for (const OffboardStepWrite& step : d.steps) {
    RETURN_IF_ERROR(tasks_.Step(t.task, step.index, step.state, step.message));
  }
  if (d.end) return End(t, *d.end);
  return absl::OkStatus();
}

absl::Status OffboardWorker::SyncRunning(absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<store::ApiTask> rows, tasks_.ListRunning());
  std::set<std::string> seen;
  for (store::ApiTask& row : rows) {
    seen.insert(row.task_id);
    auto it = running_.find(row.task_id);
    if (it != running_.end()) {
      it->second.task.job_state = row.job_state;
      continue;
    }
    // Started before a restart (or by another pass): what was done is in
    // the database.
    OffboardTask t = ResumeOffboardTask(std::move(row), now);
    if (t.next == OffboardNext::kLookup) {
      LogEvent(absl::StrCat(
          "api_offboard: task ", t.task.task_id, " (", t.task.hostname,
          ") was requesting its offboarding when the server stopped; "
          "looking its machine actions up before asking again"));
    }
    running_.emplace(t.task.task_id, std::move(t));
  }
  for (auto it = running_.begin(); it != running_.end();) {
    it = seen.count(it->first) ? std::next(it) : running_.erase(it);
  }
  std::vector<std::string> ids;
  for (const auto& [id, t] : running_) ids.push_back(id);
  for (const std::string& id : ids) {
    OffboardTask& t = running_.at(id);
    if (auto end = OffboardEndForJob(t.task, now))
      RETURN_IF_ERROR(End(t, *end));
  }
  return absl::OkStatus();
}

std::vector<std::string> OffboardWorker::IdsOf(OffboardNext next) const {
  std::vector<std::string> ids;
  for (const auto& [id, t] : running_) {
    if (t.next == next) ids.push_back(id);
  }
  return ids;
}

absl::Status OffboardWorker::StartQueued(absl::Time now) {
  ASSIGN_OR_RETURN(
      std::vector<store::StartableApiTask> startable,
      tasks_.ListStartable(now, options_.waiting_messages_limit + 1));
  std::map<std::string, int64_t> started_in_job;
  std::vector<store::StartableApiTask> waiting;
  bool room = true;
  for (const store::StartableApiTask& s : startable) {
    const int64_t done = started_in_job[s.job_id];
    if (s.job_room >= 0 && done >= s.job_room) continue;  // rollout, not us
    room = room && calls_.HasRoom();
    if (!room) {
      waiting.push_back(s);
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<store::ApiTask> task,
                     tasks_.Start(s.task_id));
    waiting_.Forget(s.task_id);
    if (!task) continue;  // ended at once (skipped, or no longer startable)
    started_in_job[s.job_id] += 1;
    OffboardTask t;
    t.task = std::move(*task);
    OffboardTask& tracked =
        running_.emplace(t.task.task_id, std::move(t)).first->second;
    RETURN_IF_ERROR(Advance(tracked));
  }
  // Retries due go first, so they are ahead of every queued task.
  int64_t ahead = 0;
  for (const auto& [id, t] : running_) {
    ahead += t.next != OffboardNext::kWait && t.next != OffboardNext::kConfirm;
  }
  return waiting_.Update(waiting, ahead, now);
}

absl::Time OffboardWorker::NextPass(absl::Time now) const {
  absl::Time next = now + options_.tick;
  bool pending = !waiting_.empty();
  for (const auto& [id, t] : running_) {
    if (t.next == OffboardNext::kWait) {
      next = std::min(next, std::max(next_poll_, now));
    } else {
      pending = true;
      next = std::min(next, std::max(t.not_before, now));
    }
  }
  if (pending) next = std::max(next, calls_.NextAllowed(now));
  return next;
}

absl::StatusOr<absl::Time> OffboardWorker::RunOnce() {
  absl::Time now = clock_.Now();
  calls_.Prune(now);
  RETURN_IF_ERROR(SyncRunning(now));
  RETURN_IF_ERROR(Poll(now));
  RETURN_IF_ERROR(ConfirmStopped(clock_.Now()));
  // Retries and lookups that are due, oldest first.
  std::vector<std::string> due;
  for (const auto& [id, t] : running_) {
    if (t.next != OffboardNext::kWait && t.next != OffboardNext::kConfirm &&
        t.not_before <= clock_.Now()) {
      due.push_back(id);
    }
  }
  for (const std::string& id : due) {
    if (!calls_.HasRoom()) break;
    auto it = running_.find(id);
    if (it != running_.end()) RETURN_IF_ERROR(Advance(it->second));
  }
  RETURN_IF_ERROR(StartQueued(clock_.Now()));
  return NextPass(clock_.Now());
}

void OffboardWorker::Start() {
  thread_.Start("api_offboard", clock_, options_.tick,
                [this] { return RunOnce(); });
}

void OffboardWorker::Stop() { thread_.Stop(); }

void OffboardWorker::Wake() { thread_.Wake(); }

}  // namespace mdefleet::defender

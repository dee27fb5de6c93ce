#include "server/defender/offboard_task_recorder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/log.h"
#include "server/store/time_util.h"

namespace mdefleet::defender {

using store::ToMicros;

OffboardTaskRecorder::OffboardTaskRecorder(store::Store& store,
                                           const Clock& clock,
                                           service::EventHub* hub)
    : store_(store), clock_(clock), hub_(hub) {}

absl::StatusOr<std::vector<store::ApiTask>>
OffboardTaskRecorder::ListRunning() {
  std::vector<store::ApiTask> rows;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(rows, store::ListRunningApiTasks(db));
    return absl::OkStatus();
  }));
  return rows;
}

absl::StatusOr<std::vector<store::StartableApiTask>>
OffboardTaskRecorder::ListStartable(absl::Time now, int64_t limit) {
  std::vector<store::StartableApiTask> startable;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(startable,
                     store::ListStartableApiTasks(db, ToMicros(now), limit));
    return absl::OkStatus();
  }));
  return startable;
}

absl::StatusOr<std::optional<store::ApiTask>> OffboardTaskRecorder::Start(
    const std::string& task_id) {
  std::optional<store::ApiTask> task;
  store::WriteEffects effects;
  const int64_t at = ToMicros(clock_.Now());
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    effects = {};
    ASSIGN_OR_RETURN(task, store::StartApiTask(db, task_id, at, &effects));
    return absl::OkStatus();
  }));
  if (hub_ != nullptr) hub_->Publish(effects);
  return task;
}

absl::Status OffboardTaskRecorder::RecordAction(
    const store::ApiTask& task, const OffboardActionRecord& action) {
  return store_.Write([&](store::Connection& db) {
    return store::RecordMachineAction(db, task, action.id, action.status);
  });
}

absl::Status OffboardTaskRecorder::SetRequestedAt(const store::ApiTask& task,
                                                  int64_t at) {
  return store_.Write([&](store::Connection& db) {
    return store::SetRequestedAt(db, task, at);
  });
}

absl::Status OffboardTaskRecorder::Step(const store::ApiTask& task, int index,
                                        v1::StepState state,
                                        absl::string_view message) {
  const int64_t now = ToMicros(clock_.Now());
  store::WriteEffects effects;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) {
    return store::SetApiStep(db, task, index, state, message, now);
  }));
  effects.changed_jobs.insert(task.job_id);
  if (hub_ != nullptr) hub_->Publish(effects);
  return absl::OkStatus();
}

absl::Status OffboardTaskRecorder::End(const store::ApiTask& task,
                                       const OffboardTaskEnd& end) {
  const int64_t now = ToMicros(clock_.Now());
  const v1::TaskState to = end.to;
  store::WriteEffects effects;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    effects = {};
    if (end.failed_step >= 0) {
      RETURN_IF_ERROR(store::SetApiStep(db, task, end.failed_step,
                                        to == v1::TASK_STATE_SUCCEEDED
                                            ? v1::STEP_STATE_SUCCEEDED
                                            : v1::STEP_STATE_FAILED,
                                        end.step_message, now));
    }
    const std::string not_run = to == v1::TASK_STATE_CANCELLED
                                    ? "not run: job cancelled"
                                    : "not run: an earlier step failed";
    store::EndTaskOptions update;
    update.to = to;
    update.message = end.message;
    update.pending_message = not_run;
    update.running_message = end.message;
    return store::EndTask(db, task.key(), update, now, &effects);
  }));
  if (hub_ != nullptr) hub_->Publish(effects);
  LogEvent(absl::StrCat("api_offboard: task ", task.task_id, " (",
                        task.hostname, ") ", store::TaskStateWord(to), ": ",
                        end.message));
  return absl::OkStatus();
}

}  // namespace mdefleet::defender

// Where api_offboard tasks are read and recorded: the running and startable
// tasks, a task's start, its machine action, each step's state and message
// and its end, written like a runner's reports (the job's counts, the event
// hub), so that jobs get, watch and the dashboard show them the same way.
#ifndef MDEFLEET_SERVER_DEFENDER_OFFBOARD_TASK_RECORDER_H_
#define MDEFLEET_SERVER_DEFENDER_OFFBOARD_TASK_RECORDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/defender/offboard_task_machine.h"
#include "server/service/event_hub.h"
#include "server/store/api_tasks.h"
#include "server/store/store.h"

namespace mdefleet::defender {

class OffboardTaskRecorder {
 public:
  // `store` and `clock` must outlive this; `hub` may be null (tests).
  OffboardTaskRecorder(store::Store& store, const Clock& clock,
                       service::EventHub* hub);

  // Every RUNNING api_offboard task, with its job's state.
  [[nodiscard]] absl::StatusOr<std::vector<store::ApiTask>> ListRunning();
  // Up to `limit` QUEUED tasks their jobs would start at `now`, in order.
  [[nodiscard]] absl::StatusOr<std::vector<store::StartableApiTask>>
  ListStartable(absl::Time now, int64_t limit);
  // Starts a queued task (RUNNING, its first step RUNNING, requested_at now)
  // before its request is sent. nullopt: it ended at once (skipped: no
  // machine id) or is no longer startable.
  [[nodiscard]] absl::StatusOr<std::optional<store::ApiTask>> Start(
      const std::string& task_id);

  [[nodiscard]] absl::Status RecordAction(const store::ApiTask& task,
                                          const OffboardActionRecord& action);
  // A request is about to be sent (again) at `at` (micros).
  [[nodiscard]] absl::Status SetRequestedAt(const store::ApiTask& task,
                                            int64_t at);
  [[nodiscard]] absl::Status Step(const store::ApiTask& task, int index,
                                  v1::StepState state,
                                  absl::string_view message);
  // Ends the task (its steps not run yet say why) and logs it.
  [[nodiscard]] absl::Status End(const store::ApiTask& task,
                                 const OffboardTaskEnd& end);

 private:
  store::Store& store_;
  const Clock& clock_;
  service::EventHub* hub_;
};

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_OFFBOARD_TASK_RECORDER_H_

// A task's plan, kept apart from its row in tasks (migration 0012): a plan
// is about 4 KB and every step report updates the task's row, which SQLite
// rewrites whole, plan and overflow page included, when they share it. Plans
// are stored once per distinct content (plans, migration 0013): the tasks of
// a fleet-wide job mostly share one.
#ifndef MDEFLEET_SERVER_STORE_TASK_PLANS_H_
#define MDEFLEET_SERVER_STORE_TASK_PLANS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/plan.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// The id in plans of a serialized plan, stored there first when no plan has
// these bytes.
[[nodiscard]] absl::StatusOr<int64_t> StorePlan(Connection& db,
                                                absl::string_view plan_bytes);

// Makes plan `plan_id` the plan of task `task_id`, replacing any earlier one.
[[nodiscard]] absl::Status SetTaskPlanId(Connection& db,
                                         absl::string_view task_id,
                                         int64_t plan_id);

// Stores `plan` as the plan of task `task_id`, replacing any earlier one.
// Returns whether it changed (false: the task already had this plan).
[[nodiscard]] absl::StatusOr<bool> SetTaskPlan(Connection& db,
                                               absl::string_view task_id,
                                               const v1::Plan& plan);

// The steps of a task attempt, all PENDING, as `plan` lists them: what was
// stored for that attempt before is replaced.
[[nodiscard]] absl::Status ReplaceAttemptSteps(Connection& db,
                                               absl::string_view task_id,
                                               absl::string_view job_id,
                                               int64_t attempt,
                                               const v1::Plan& plan);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_TASK_PLANS_H_

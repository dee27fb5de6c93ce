// A task's plan, kept apart from its row in tasks (migration 0012): a plan
// is about 4 KB and every step report updates the task's row, which SQLite
// rewrites whole, plan and overflow page included, when they share it.
#ifndef MDEFLEET_SERVER_STORE_TASK_PLANS_H_
#define MDEFLEET_SERVER_STORE_TASK_PLANS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/plan.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// Stores `plan` as the plan of task `task_id`, replacing any earlier one.
[[nodiscard]] absl::Status SetTaskPlan(Connection& db,
                                       absl::string_view task_id,
                                       const v1::Plan& plan);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_TASK_PLANS_H_

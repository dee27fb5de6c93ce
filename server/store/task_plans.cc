#include "server/store/task_plans.h"

#include "common/status_macros.h"

namespace mdefleet::store {

absl::Status SetTaskPlan(Connection& db, absl::string_view task_id,
                         const v1::Plan& plan) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO task_plans (task_id, plan) VALUES (?1, ?2) ON "
                 "CONFLICT (task_id) DO UPDATE SET plan = excluded.plan"));
  st->Bind(1, task_id);
  st->BindBlob(2, plan.SerializeAsString());
  return st->Run();
}

}  // namespace mdefleet::store

#include "server/store/task_plans.h"

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/store/deterministic_bytes.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {

absl::StatusOr<int64_t> StorePlan(Connection& db,
                                  absl::string_view plan_bytes) {
  // The same SHA-256 as migration 0013's mdf_sha256_hex over the blob.
  const std::string sha256 = Sha256Hex(plan_bytes);
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("INSERT INTO plans (sha256, plan) VALUES (?1, "
                                "?2) ON CONFLICT (sha256) DO NOTHING"));
    st->Bind(1, sha256);
    st->BindBlob(2, plan_bytes);
    RETURN_IF_ERROR(st->Run());
  }
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT id FROM plans WHERE sha256 = ?1"));
  st->Bind(1, sha256);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return absl::InternalError(
        absl::StrCat("plan ", sha256, " not found after storing it"));
  }
  return st->ColumnInt(0);
}

absl::Status SetTaskPlanId(Connection& db, absl::string_view task_id,
                           int64_t plan_id) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("INSERT INTO task_plans (task_id, plan_id) "
                              "VALUES (?1, ?2) ON CONFLICT (task_id) DO "
                              "UPDATE SET plan_id = excluded.plan_id"));
  st->Bind(1, task_id);
  st->Bind(2, plan_id);
  return st->Run();
}

absl::StatusOr<bool> SetTaskPlan(Connection& db, absl::string_view task_id,
                                 const v1::Plan& plan) {
  ASSIGN_OR_RETURN(const int64_t plan_id,
                   StorePlan(db, DeterministicBytes(plan)));
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("SELECT plan_id FROM task_plans WHERE "
                                "task_id = ?1"));
    st->Bind(1, task_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (row && st->ColumnInt(0) == plan_id) return false;
  }
  RETURN_IF_ERROR(SetTaskPlanId(db, task_id, plan_id));
  return true;
}

absl::Status ReplaceAttemptSteps(Connection& db, absl::string_view task_id,
                                 absl::string_view job_id, int64_t attempt,
                                 const v1::Plan& plan) {
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("DELETE FROM steps WHERE task_id = ?1 AND "
                                "attempt = ?2"));
    st->Bind(1, task_id);
    st->Bind(2, attempt);
    RETURN_IF_ERROR(st->Run());
  }
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO steps (task_id, job_id, attempt, idx, name, "
                 "state) VALUES (?1, ?2, ?3, ?4, ?5, " SQL_STEP_PENDING ")"));
  for (int i = 0; i < plan.steps_size(); ++i) {
    st->Bind(1, task_id);
    st->Bind(2, job_id);
    st->Bind(3, attempt);
    st->Bind(4, static_cast<int64_t>(i));
    st->Bind(5, plan.steps(i).name());
    RETURN_IF_ERROR(st->Run());
    st->Reset();
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::store

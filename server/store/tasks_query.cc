#include "server/store/tasks_query.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "mdefleet/v1/plan.pb.h"
#include "server/store/diagnostics.h"
#include "server/store/time_util.h"

namespace mdefleet::store {
namespace {

// Whether the plan uploads an MDEClientAnalyzer bundle (collect_diagnostics):
// only then is there a summary to look up.
bool UploadsDiagnostics(const v1::Plan& plan) {
  for (const v1::PlannedStep& step : plan.steps()) {
    if (step.action().has_upload_diagnostics_bundle()) return true;
  }
  return false;
}

[[nodiscard]] absl::Status FillSteps(Connection& db, const v1::Plan& plan,
                                     v1::Task* task) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT idx, name, state, started_at, finished_at, "
                 "exit_code, message, output_tail FROM steps WHERE task_id = "
                 "?1 AND attempt = ?2 ORDER BY idx"));
  st->Bind(1, task->id());
  st->Bind(2, static_cast<int64_t>(task->attempt()));
  std::vector<v1::StepResult> results;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    v1::StepResult r;
    r.set_index(static_cast<uint32_t>(st->ColumnInt(0)));
    r.set_name(st->ColumnText(1));
    r.set_state(static_cast<v1::StepState>(st->ColumnInt(2)));
    SetOptionalTimestamp(st->ColumnOptionalInt(3),
                         [&] { return r.mutable_started_at(); });
    SetOptionalTimestamp(st->ColumnOptionalInt(4),
                         [&] { return r.mutable_finished_at(); });
    if (std::optional<int64_t> code = st->ColumnOptionalInt(5)) {
      r.set_exit_code(static_cast<int32_t>(*code));
    }
    r.set_message(st->ColumnText(6));
    r.set_output_tail(st->ColumnText(7));
    results.push_back(std::move(r));
  }
  // Every planned step, pending where there is no row.
  size_t next = 0;
  for (int i = 0; i < plan.steps_size(); ++i) {
    if (next < results.size() &&
        results[next].index() == static_cast<uint32_t>(i)) {
      *task->add_steps() = std::move(results[next++]);
      continue;
    }
    v1::StepResult* r = task->add_steps();
    r->set_index(static_cast<uint32_t>(i));
    r->set_name(plan.steps(i).name());
    r->set_state(v1::STEP_STATE_PENDING);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TaskPage> ListTasks(Connection& db, absl::string_view job_id,
                                   v1::TaskState state, int64_t after,
                                   int64_t limit) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT t.rowid, t.id, t.job_id, t.device_id, d.hostname, "
                 "t.state, t.attempt, t.message, t.created_at, t.started_at, "
                 "t.finished_at, p.plan, t.not_before FROM tasks t JOIN "
                 "devices d ON d.id = t.device_id JOIN task_plans tp ON "
                 "tp.task_id = t.id JOIN plans p ON p.id = tp.plan_id WHERE "
                 "t.job_id = ?1 AND (?2 "
                 "= 0 OR t.state = ?2) AND t.rowid > ?3 ORDER BY t.rowid "
                 "LIMIT ?4"));
  st->Bind(1, job_id);
  st->Bind(2, static_cast<int64_t>(state));
  st->Bind(3, after);
  st->Bind(4, limit + 1);
  TaskPage page;
  std::vector<std::pair<v1::Task, v1::Plan>> rows;
  int64_t last_rowid = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    if (static_cast<int64_t>(rows.size()) == limit) {
      page.next_after = last_rowid;
      break;
    }
    last_rowid = st->ColumnInt(0);
    v1::Task t;
    t.set_id(st->ColumnText(1));
    t.set_job_id(st->ColumnText(2));
    t.set_device_id(st->ColumnText(3));
    t.set_hostname(st->ColumnText(4));
    t.set_state(static_cast<v1::TaskState>(st->ColumnInt(5)));
    t.set_attempt(static_cast<uint32_t>(st->ColumnInt(6)));
    t.set_message(st->ColumnText(7));
    SetTimestamp(st->ColumnInt(8), t.mutable_created_at());
    SetOptionalTimestamp(st->ColumnOptionalInt(9),
                         [&] { return t.mutable_started_at(); });
    SetOptionalTimestamp(st->ColumnOptionalInt(10),
                         [&] { return t.mutable_finished_at(); });
    if (t.state() == v1::TASK_STATE_QUEUED && st->ColumnInt(12) > 0) {
      SetTimestamp(st->ColumnInt(12), t.mutable_not_before());
    }
    v1::Plan plan;
    if (!plan.ParseFromString(st->ColumnBlob(11))) {
      return absl::DataLossError(absl::StrCat("task ", t.id(), ": bad plan"));
    }
    rows.emplace_back(std::move(t), std::move(plan));
  }
  st->Reset();
  for (auto& [task, plan] : rows) {
    RETURN_IF_ERROR(FillSteps(db, plan, &task));
    if (UploadsDiagnostics(plan)) {
      ASSIGN_OR_RETURN(std::optional<v1::DiagnosticsSummary> summary,
                       LoadDiagnosticsSummary(db, task.id()));
      if (summary) *task.mutable_diagnostics() = *std::move(summary);
    }
    page.tasks.push_back(std::move(task));
  }
  return page;
}

}  // namespace mdefleet::store

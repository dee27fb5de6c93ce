// Step reports from runners: idempotent, lease-checked, ending tasks and jobs.
#ifndef MDEFLEET_SERVER_STORE_STEP_REPORTS_H_
#define MDEFLEET_SERVER_STORE_STEP_REPORTS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

struct ReportOutcome {
  bool cancel = false;  // the job was cancelled: stop after this step
  bool repeat = false;  // an identical report was already applied
};

// Applies one ReportStep in the caller's transaction (facts are the caller's).
// - A repeat of an applied (task, attempt, step, state) changes nothing.
// - FailedPrecondition "lease lost: ..." when the task is not held by this
//   device under this lease and attempt, or the lease expired; nothing changes.
// - InvalidArgument naming the field for an impossible step index or state.
// A report renews the lease; the one carrying task_state ends the task
// (remaining steps SKIPPED), and the job when all its tasks are final.
[[nodiscard]] absl::StatusOr<ReportOutcome> ApplyStepReport(
    Connection& db, absl::string_view device_id,
    const v1::ReportStepRequest& report, int64_t now,
    absl::Duration lease_duration, WriteEffects* effects);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_STEP_REPORTS_H_

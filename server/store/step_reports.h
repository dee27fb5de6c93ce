// Step reports from runners: idempotent, lease-checked, ending tasks and jobs.
#ifndef MDEFLEET_SERVER_STORE_STEP_REPORTS_H_
#define MDEFLEET_SERVER_STORE_STEP_REPORTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

struct ReportOutcome {
  bool cancel = false;  // the job was cancelled: stop after this step
  std::string cancel_reason;
  bool repeat = false;   // an identical report was already applied
  bool retried = false;  // the failure is retryable: queued as a new attempt
};

// Applies one ReportStep in the caller's transaction (facts are the caller's).
// - A repeat of an applied (task, attempt, step, state) changes nothing.
// - FailedPrecondition "lease lost: ..." when the task is not held by this
//   device under this lease and attempt, or the lease expired; nothing changes.
// - InvalidArgument naming the field for an impossible step index or state.
// A report renews the lease (for the job's task timeout, else
// `lease_duration`); the one carrying task_state ends the task (remaining
// steps SKIPPED), and the job when all its tasks are final. A FAILED end
// whose failing step the plan classifies RETRYABLE (ClassifyStepFailure) is
// queued again as a new attempt while the job's retries allow it.
[[nodiscard]] absl::StatusOr<ReportOutcome> ApplyStepReport(
    Connection& db, absl::string_view device_id,
    const v1::ReportStepRequest& report, int64_t now,
    absl::Duration lease_duration, WriteEffects* effects);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_STEP_REPORTS_H_

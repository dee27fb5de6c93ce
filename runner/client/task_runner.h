// Runs one leased task: for each planned step, journal -> report RUNNING ->
// execute -> journal -> report the final state, so a crash at any point
// resumes correctly (see runner/journal/journal.h). The report that ends the
// task carries task_state and fresh facts. A failed step marked
// continue_on_failure (a health finding) does not end the task: the next
// steps run and the task ends FAILED with its last step (journal-safe: a
// resumed run learns earlier failures from the journal). Independent of
// gRPC: reports go through the StepReporter seam.
#ifndef MDEFLEET_RUNNER_CLIENT_TASK_RUNNER_H_
#define MDEFLEET_RUNNER_CLIENT_TASK_RUNNER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "mdefleet/v1/runner.pb.h"
#include "runner/executor/artifact_fetcher.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// RunnerService.ReportStep as the task runner needs it.
class StepReporter {
 public:
  virtual ~StepReporter() = default;
  // FailedPrecondition: the lease is lost (stop). Unavailable /
  // DeadlineExceeded: transient (retry). Anything else: give up the task.
  [[nodiscard]] virtual absl::StatusOr<v1::ReportStepResponse> ReportStep(
      const v1::ReportStepRequest& request) = 0;
  // RunnerService.Heartbeat: keeps the lease alive while a step runs. Called
  // from a thread of its own, concurrently with artifact fetches.
  [[nodiscard]] virtual absl::StatusOr<v1::HeartbeatResponse> Heartbeat(
      const v1::HeartbeatRequest& request) = 0;
  // RunnerService.UploadEvidence: a failed step's output and logs, sent
  // before its final report. Best effort: a failure is logged, the task
  // goes on.
  [[nodiscard]] virtual absl::StatusOr<v1::UploadEvidenceResponse>
  UploadEvidence(const v1::UploadEvidenceRequest& request) = 0;
  // RunnerService.UploadDiagnosticsChunk: one chunk of an MDEClientAnalyzer
  // result bundle (upload_diagnostics_bundle), before the step's final
  // report. The step succeeds only when the server kept the bundle.
  [[nodiscard]] virtual absl::StatusOr<v1::UploadDiagnosticsChunkResponse>
  UploadDiagnosticsChunk(const v1::UploadDiagnosticsChunkRequest& request) = 0;
};

struct TaskRunnerOptions {
  Clock* clock = Clock::Real();
  // Fresh facts for the report that ends the task.
  std::function<absl::StatusOr<v1::DeviceFacts>()> collect_facts;
  // How long to keep retrying a report on transient errors before giving up
  // (the journal keeps the result for the next delivery of the task).
  absl::Duration report_retry_budget = absl::Minutes(5);
  absl::Duration report_retry_initial = absl::Milliseconds(500);
  // Set when the runner is shutting down: stop between steps.
  absl::Notification* stop = nullptr;
  // Heartbeat period while a step runs; zero: a quarter of the task's
  // lease_duration.
  absl::Duration heartbeat_interval = absl::ZeroDuration();
  // How the runner waits (for a maintenance window): `d` or until `stop`,
  // true when stopped. Unset: on `stop` in real time. Tests pass one that
  // advances their fake clock.
  std::function<bool(absl::Duration d)> sleep;
};

// How the task run ended for this runner.
enum class TaskEnd {
  kCompleted,    // the ending report was acknowledged (see task_state)
  kLeaseLost,    // a report was refused with FAILED_PRECONDITION: abandoned
  kCancelled,    // the server said cancel: stopped after the current step
                 // (told so when reporting a step RUNNING, the runner does
                 // not run it and reports it SKIPPED: not run)
  kInterrupted,  // shutdown or the server unreachable: journal kept, resumes
                 // when the task is delivered again
  kRejected,     // the task cannot be run here at all (bad id, no journal)
  kRebooting,    // a step restarts the machine (see reboot_resume.h): the
                 // journal is kept; the runner waits for the machine to go
                 // down (reboot_delay) and continues after the restart
};

struct TaskOutcome {
  TaskEnd end = TaskEnd::kInterrupted;
  v1::TaskState task_state = v1::TASK_STATE_UNSPECIFIED;  // when kCompleted
  std::string summary;  // one line for the log (no secrets)
  absl::Duration reboot_delay = absl::ZeroDuration();  // when kRebooting
};

// Message of a step found "started" but not "executed" after a restart and
// not safe to repeat.
inline constexpr absl::string_view kNotRerunMessage =
    "runner restarted while the step was running; not re-run because it is "
    "not safe to repeat";

// Runs (or resumes) `task`. The task's work dir <state>\work\<task_id> is
// created first and deleted when the task is over (it holds onboarding
// scripts, which are secrets); so is the journal.
TaskOutcome RunTask(const v1::LeasedTask& task, Host& host,
                    ArtifactFetcher& fetcher, StepReporter& reporter,
                    const TaskRunnerOptions& options);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_TASK_RUNNER_H_

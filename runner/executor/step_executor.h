// Interprets one planned step (the closed action set of plan.proto) through a
// Host and turns the outcome into a StepResult with an operator-facing
// message. Nothing outside the action set can run: programs map to fixed
// paths, registry keys and deletable paths are allow-listed, and every
// artifact's SHA-256 is verified before anything uses it.
#ifndef MDEFLEET_RUNNER_EXECUTOR_STEP_EXECUTOR_H_
#define MDEFLEET_RUNNER_EXECUTOR_STEP_EXECUTOR_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/plan.pb.h"
#include "runner/executor/artifact_fetcher.h"
#include "runner/executor/evidence.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// Bound of StepResult::output_tail.
inline constexpr size_t kOutputTailBytes = 4096;

// What one step did.
struct StepResult {
  v1::StepState state = v1::STEP_STATE_UNSPECIFIED;  // SUCCEEDED/FAILED/SKIPPED
  std::optional<int> exit_code;  // run_process only (absent on timeout)
  std::string message;           // one line for operators
  std::string output_tail;       // last 4 KiB of output / detail, valid UTF-8
  // A check with ON_MISMATCH_SKIP_TASK mismatched: the task ends SKIPPED.
  bool skips_task = false;
  absl::Time started_at;
  absl::Time finished_at;
  // A failed program's output and logs (runner/executor/evidence.h), for
  // the task runner to upload before the work directory goes.
  std::vector<EvidenceItem> evidence;
  // upload_diagnostics_bundle: the MDEClientAnalyzer result bundle found,
  // for the task runner to send (RunnerService.UploadDiagnosticsChunk)
  // while the lease is held; the step succeeds only once the server kept it.
  struct Bundle {
    std::string path;
    std::string content;
  };
  std::optional<Bundle> bundle;
};

// Last `max_bytes` of `text`, cut on a UTF-8 boundary, invalid bytes replaced
// by '?' (protobuf strings must be UTF-8).
std::string TailUtf8(absl::string_view text, size_t max_bytes);

class StepExecutor {
 public:
  // `work_dir` is the task's working directory (created by the caller);
  // "${work_dir}" in actions expands to it.
  StepExecutor(Host& host, ArtifactFetcher& fetcher, Clock& clock,
               std::string work_dir)
      : host_(host),
        fetcher_(fetcher),
        clock_(clock),
        work_dir_(std::move(work_dir)) {}

  // Executes `step`. Never throws; every failure is a FAILED result whose
  // message says what happened.
  StepResult Execute(const v1::PlannedStep& step);

 private:
  StepResult RunProcess(const v1::RunProcessAction& a);
  StepResult SetRegistryValue(const v1::SetRegistryValueAction& a);
  StepResult DeleteRegistryValue(const v1::DeleteRegistryValueAction& a);
  StepResult CheckRegistry(const v1::CheckRegistryAction& a);
  StepResult CheckService(const v1::CheckServiceAction& a);
  StepResult WaitServiceState(const v1::WaitServiceStateAction& a);
  StepResult FetchArtifact(const v1::FetchArtifactAction& a);
  StepResult CheckUrl(const v1::CheckUrlAction& a);
  StepResult CheckWinHttpProxy(const v1::CheckWinHttpProxyAction& a);
  StepResult DeleteDirectoryContents(
      const v1::DeleteDirectoryContentsAction& a);
  StepResult Reboot(const v1::RebootAction& a);
  StepResult CheckCloudConnection(const v1::CheckCloudConnectionAction& a);
  StepResult CheckDirectoryEmpty(const v1::CheckDirectoryEmptyAction& a);
  StepResult ExtractZip(const v1::ExtractZipAction& a);
  StepResult UploadDiagnosticsBundle(
      const v1::UploadDiagnosticsBundleAction& a);

  Host& host_;
  ArtifactFetcher& fetcher_;
  Clock& clock_;
  const std::string work_dir_;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_EXECUTOR_STEP_EXECUTOR_H_

// The evidence a failed program leaves behind, kept before the work
// directory is deleted: its stdout and stderr and the logs its plan names
// (Install.ps1's trace log and the MSI log), uploaded with the step
// (runner.proto UploadEvidence) so an operator reads them with `mdefleetctl
// jobs logs` instead of logging on to the server.
#ifndef MDEFLEET_RUNNER_EXECUTOR_EVIDENCE_H_
#define MDEFLEET_RUNNER_EXECUTOR_EVIDENCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/plan.pb.h"
#include "mdefleet/v1/runner.pb.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// One file of evidence, as text.
struct EvidenceItem {
  std::string name;
  std::string content;         // UTF-8; the end of the file when truncated
  uint64_t original_size = 0;  // bytes of the whole file (or output)
  bool truncated = false;
};

// stdout.txt and stderr.txt of `result` (when not empty), then every file
// directly in `work_dir` matching a pattern of `action.failure_logs` (all of
// them, whatever the exit code), decoded to UTF-8 (UTF-16 MSI logs) and cut
// to their last kMaxEvidenceFileBytes. A log that cannot be read is named in
// a note file instead. At most kMaxEvidenceFiles.
std::vector<EvidenceItem> CollectProcessEvidence(
    Host& host, const v1::RunProcessAction& action, absl::string_view work_dir,
    const ProcessResult& result);

// The upload of `items` for one step: each gzip-compressed, in order, until
// the next would pass kMaxEvidenceUploadBytes (then an "omitted.txt" names
// what was left out). Errors only when compression fails.
[[nodiscard]] absl::StatusOr<v1::UploadEvidenceRequest> PackEvidence(
    const std::vector<EvidenceItem>& items);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_EXECUTOR_EVIDENCE_H_

// Rendering a job's progress: the live one-line bar of `jobs watch`, the
// per-state counts, the per-step summary table and the failing steps. Pure
// functions of a v1::Job so they are testable without a server.
#ifndef MDEFLEET_SERVER_CLI_PROGRESS_H_
#define MDEFLEET_SERVER_CLI_PROGRESS_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet::cli {

// Tasks that reached a final state (succeeded, failed, skipped, cancelled,
// timed out, expired).
uint32_t FinishedTasks(const v1::TaskCounts& counts);

// "succeeded 18, failed 1, skipped 1, running 3, queued 27": the non-zero
// states in a fixed order; "no tasks" when total is 0.
std::string RenderCounts(const v1::TaskCounts& counts);

// One line without a trailing newline, e.g.
// "running [#########...........]  45%  23/50  succeeded 20, failed 1, ...".
// `columns` is the terminal width; the line never exceeds it (the bar
// shrinks, then the counts are cut). 0 means no limit (not a terminal).
std::string RenderProgressLine(const v1::Job& job, size_t columns);

// The per-step summary table (one row per step name, counts per step state)
// or "" when the job has no step summary.
std::string RenderStepSummary(const v1::Job& job);

// "  run_install_ps1 (2 devices): Install.ps1 exit 4: no internet
// connectivity" lines, one per failing step and message, or "".
std::string RenderFailingSteps(const v1::Job& job);

// Remembers which failing steps were already shown so `jobs watch` prints
// each one once, as it appears.
class FailureTracker {
 public:
  // Lines (no trailing newline) for failing steps of `job` not seen before.
  std::vector<std::string> NewFailures(const v1::Job& job);

 private:
  std::set<std::pair<std::string, std::string>> seen_;
};

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_PROGRESS_H_

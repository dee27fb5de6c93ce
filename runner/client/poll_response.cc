#include "runner/client/poll_response.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "runner/client/stale_journals.h"

namespace mdefleet::runner {

std::optional<TaskOutcome> HandlePollResponse(
    const v1::PollTasksResponse& response, Host& host, StepReporter& reporter,
    const FetcherFactory& fetcher_for, const TaskRunnerOptions& options,
    const std::function<void(absl::string_view)>& log) {
  std::set<LiveAttempt> live;
  for (const v1::LeasedTask& task : response.tasks()) {
    live.insert({task.task_id(), task.attempt()});
  }
  for (const std::string& line : SettleStaleJournals(host, reporter, live)) {
    log(line);
  }
  for (const v1::LeasedTask& task : response.tasks()) {
    log(absl::StrCat("task ", task.task_id(), " (", task.kind(), ", attempt ",
                     task.attempt(), ", ", task.plan().steps_size(),
                     " steps) started"));
    std::unique_ptr<ArtifactFetcher> fetcher = fetcher_for(task);
    TaskOutcome outcome = RunTask(task, host, *fetcher, reporter, options);
    log(absl::StrCat("task ", task.task_id(), " ended: ", outcome.summary));
    if (options.stop != nullptr && options.stop->HasBeenNotified()) break;
    if (outcome.end == TaskEnd::kRebooting) return outcome;
  }
  return std::nullopt;
}

}  // namespace mdefleet::runner

// What the runner does with one PollTasks response: journals of attempts the
// server no longer delivers are settled first, then each delivered task is
// run, in the order the server sent them. Apart from RunnerAgent (and gRPC)
// so that it can be driven without a server: the response is data from the
// network, and tests/fuzz/poll_tasks_fuzzer.cc feeds it arbitrary ones
// against a simulated host.
#ifndef MDEFLEET_RUNNER_CLIENT_POLL_RESPONSE_H_
#define MDEFLEET_RUNNER_CLIENT_POLL_RESPONSE_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/strings/string_view.h"
#include "mdefleet/v1/runner.pb.h"
#include "runner/client/task_runner.h"
#include "runner/executor/artifact_fetcher.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// The ArtifactFetcher of one leased task (GrpcArtifactFetcher in the runner).
using FetcherFactory =
    std::function<std::unique_ptr<ArtifactFetcher>(const v1::LeasedTask&)>;

// Settles the stale journals (SettleStaleJournals with the response's tasks
// as the live attempts), then runs each task with RunTask. Stops early when
// options.stop is notified, and after a task that restarts the machine: the
// tasks after it are delivered again after the restart, and that task's
// outcome is returned so the caller can wait for the restart (nullopt
// otherwise). `log` gets one line per event, never a secret.
std::optional<TaskOutcome> HandlePollResponse(
    const v1::PollTasksResponse& response, Host& host, StepReporter& reporter,
    const FetcherFactory& fetcher_for, const TaskRunnerOptions& options,
    const std::function<void(absl::string_view)>& log);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_POLL_RESPONSE_H_

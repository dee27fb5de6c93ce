// `mdefleetctl jobs get|list|tasks|cancel|pause|resume|retry-failed` and the
// registration of the whole `jobs` group (submit: jobs_submit.h, watch:
// jobs_watch.h).
#ifndef MDEFLEET_SERVER_CLI_JOBS_CMD_H_
#define MDEFLEET_SERVER_CLI_JOBS_CMD_H_

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/cli/command.h"
#include "server/cli/jobs_submit.h"

namespace mdefleet::cli {

// Human output of `jobs get`: header, counts, step summary, failing steps.
std::string RenderJob(const v1::Job& job);

[[nodiscard]] absl::Status RunJobsGet(CommandEnv& env,
                                      const std::string& job_id);
[[nodiscard]] absl::Status RunJobsList(CommandEnv& env,
                                       const std::string& state,
                                       uint32_t limit);
// Every task of `request`'s job (all pages).
[[nodiscard]] absl::StatusOr<v1::ListTasksResponse> ListAllTasks(
    const Connection& conn, v1::ListTasksRequest request);

// One row per device; -o json prints every Task with its steps.
[[nodiscard]] absl::Status RunJobsTasks(CommandEnv& env,
                                        const std::string& job_id,
                                        const std::string& state);
enum class JobControl { kCancel, kPause, kResume, kRetryFailed };

// Cancel, pause, resume or retry-failed one job, with an optional reason;
// prints the job as it is afterwards. A refusal (e.g. resuming a job that is
// not paused) is the server's FAILED_PRECONDITION message: exit 1.
[[nodiscard]] absl::Status RunJobsControl(CommandEnv& env, JobControl control,
                                          const std::string& job_id,
                                          const std::string& reason);

// Adds the `jobs` command group; the chosen command lands in `selected`.
void AddJobsCommands(CLI::App& app, Command* selected);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_JOBS_CMD_H_

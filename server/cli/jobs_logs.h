// `mdefleetctl jobs logs JOB --device D [--step S] [--out DIR]`: the evidence
// failed steps of one device's task left behind (their output, the MSI and
// Install.ps1 logs), as the runner uploaded it (admin.proto
// GetTaskEvidence).
#ifndef MDEFLEET_SERVER_CLI_JOBS_LOGS_H_
#define MDEFLEET_SERVER_CLI_JOBS_LOGS_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "server/cli/command.h"

namespace mdefleet::cli {

struct JobsLogsOptions {
  std::string job_id;
  std::string device;   // a device id, or a host name of the job's tasks
  std::string step;     // "": every step with evidence
  std::string out_dir;  // "": print; else write DIR/attempt-N/STEP/FILE
};

// Prints every file (or writes them under out_dir and lists them); -o json
// prints the server's answer (contents base64 gzip). A device with no
// evidence is not an error: the message says why there may be none.
[[nodiscard]] absl::Status RunJobsLogs(CommandEnv& env,
                                       const JobsLogsOptions& options);

// Adds `jobs logs` to the `jobs` group.
void AddJobsLogsCommand(CLI::App& jobs, Command* selected);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_JOBS_LOGS_H_

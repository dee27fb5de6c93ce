// `mdefleetctl jobs watch ID` (also `jobs submit --watch`): follows
// AdminService.WatchJob with a live progress bar on a terminal, or a
// progress line every few seconds otherwise, prints failing steps and
// rollout changes (paused with the reason, resumed, a wave opening) as they
// appear and ends with the per-step summary. A paused job keeps the watch
// open until it is resumed and ends.
#ifndef MDEFLEET_SERVER_CLI_JOBS_WATCH_H_
#define MDEFLEET_SERVER_CLI_JOBS_WATCH_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/cli/command.h"
#include "server/cli/connection.h"

namespace mdefleet::cli {

struct WatchDisplay {
  bool enabled = true;  // false: no progress output at all (-o json)
  bool redraw = false;  // terminal: redraw one line in place
  size_t columns = 0;   // terminal width for the redrawn line
  // Without redraw: a line at most this often while progress changes, and
  // at least every `heartbeat` while nothing changes.
  absl::Duration interval = absl::Seconds(5);
  absl::Duration heartbeat = absl::Seconds(30);
};

// Streams the job until the server ends the stream, showing progress on
// `out`, and returns the last job seen (an empty Job when the server sent
// none). Errors are the stream's status (through Connection::Check).
[[nodiscard]] absl::StatusOr<v1::Job> FollowJob(const Connection& connection,
                                                const std::string& job_id,
                                                const WatchDisplay& display,
                                                std::ostream& out,
                                                const Clock& clock);

// FollowJob, then GetJob for the final per-step summary, printed as tables
// (or as one Job JSON document with -o json). Ok only if the job
// SUCCEEDED; otherwise an error "job <id> ended <state>: <reason>".
[[nodiscard]] absl::Status WatchJobAndReport(CommandEnv& env,
                                             const std::string& job_id);

// The per-step summary and failing steps of a finished job, for humans.
void PrintJobOutcome(const v1::Job& job, std::ostream& out);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_JOBS_WATCH_H_

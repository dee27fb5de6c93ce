// How mdefleetctl shows a job's rollout policy and where the rollout stands:
// rows for `jobs get`, the state label of `jobs list`, and the lines `jobs
// watch` prints when the rollout moves (paused, resumed, a wave opening).
// Pure functions of a v1::Job.
#ifndef MDEFLEET_SERVER_CLI_ROLLOUT_FORMAT_H_
#define MDEFLEET_SERVER_CLI_ROLLOUT_FORMAT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet::cli {

// "operator", "approval", "canary failed", "max failures"; "" for none.
std::string PauseCauseWord(v1::PauseCause cause);

// The state name, with the cause for a paused job: "paused (approval)".
std::string JobStateLabel(const v1::Job& job);

// The state with its reason: "failed: 1 failed and 0 timed out of 4 tasks";
// just the reason when it already starts with the state ("paused by admin:
// change freeze", "paused: 2 failures exceed ..."); the state alone when
// there is no reason.
std::string JobStateWithReason(const v1::Job& job);

// (field, value) rows for the policy the job was submitted with and its
// rollout position: canary, waves, max failures, task timeout, deadline,
// retries, maintenance windows, rollout, waiting. Rows that do not apply are
// left out.
std::vector<std::pair<std::string, std::string>> RolloutRows(
    const v1::Job& job);

// Remembers the last job seen by `jobs watch` and says what changed.
class RolloutTracker {
 public:
  // Lines (no trailing newline): the job was paused (with the reason), was
  // resumed, or moved to another wave.
  std::vector<std::string> Changes(const v1::Job& job);

 private:
  std::optional<v1::Job> last_;
};

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_ROLLOUT_FORMAT_H_

// Journals the server no longer delivers: a runner that was offline,
// stopped or rebooted for longer than its lease finds, at its next poll, that
// the task was taken back (retried as a new attempt, timed out, or ended).
// Results it buffered meanwhile are offered once more — the server refuses
// them with "lease lost" and changes nothing, or accepts them if the lease
// somehow still holds — and the attempt's journal and work directory (which
// may hold an onboarding script) are deleted.
#ifndef MDEFLEET_RUNNER_CLIENT_STALE_JOURNALS_H_
#define MDEFLEET_RUNNER_CLIENT_STALE_JOURNALS_H_

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runner/client/task_runner.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// (task id, attempt) of a task the server currently delivers.
using LiveAttempt = std::pair<std::string, uint32_t>;

// Settles every journal under <state>\journal whose attempt is not in `live`.
// Returns one log line per journal settled (no secrets). A journal whose
// buffered result cannot be sent now (server unreachable) is kept for the
// next call.
std::vector<std::string> SettleStaleJournals(Host& host,
                                             StepReporter& reporter,
                                             const std::set<LiveAttempt>& live);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_STALE_JOURNALS_H_

// The time-driven parts of a rollout, run by the server's periodic reaper:
// deadlines that passed and waves whose wave_interval ended.
#ifndef MDEFLEET_SERVER_STORE_ROLLOUT_TIMERS_H_
#define MDEFLEET_SERVER_STORE_ROLLOUT_TIMERS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

inline constexpr char kExpiredMessage[] =
    "expired: the job's deadline passed before this device ran the task";

// For every PENDING/RUNNING/PAUSED job whose deadline is at or before `now`
// and that still has queued tasks: those tasks end EXPIRED (their steps
// SKIPPED), and the job ends when nothing else is in flight (EXPIRED; see
// MaybeFinishJob). Leased and running tasks are left to finish. Returns how
// many tasks expired.
[[nodiscard]] absl::StatusOr<int> ExpireDeadlines(Connection& db, int64_t now,
                                                  WriteEffects* effects);

// Jobs (PENDING/RUNNING) whose current wave opened in (after, upto], with how
// many devices to wake for each: their waiting devices can lease now.
[[nodiscard]] absl::StatusOr<std::vector<std::pair<std::string, int>>>
WavesOpened(Connection& db, int64_t after, int64_t upto);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_ROLLOUT_TIMERS_H_

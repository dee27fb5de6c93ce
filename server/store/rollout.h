// The rollout of a job, kept on its row in the caller's transaction: the
// store reads the rollout columns, server/scheduler/rollout_rules.h decides
// (waves, canaries, approval, the failure threshold), and the functions here
// write what it decided. Leasing reads the same columns (lease.cc).
#ifndef MDEFLEET_SERVER_STORE_ROLLOUT_H_
#define MDEFLEET_SERVER_STORE_ROLLOUT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/scheduler/rollout_rules.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

using JobRollout = scheduler::JobRollout;

// NotFound "job_id: no job ..." when there is no such job.
[[nodiscard]] absl::StatusOr<JobRollout> ReadRollout(Connection& db,
                                                     absl::string_view job_id);

// A task of the job was just leased. Unless it already counts in the current
// wave (`counted`: an automatic retry), it takes one of the wave's slots.
[[nodiscard]] absl::Status OnTaskLeased(Connection& db,
                                        absl::string_view job_id, bool counted);

// A task ended in `to` with `message`; `task_wave` is the wave its attempt
// was leased in (nullopt: never leased). Updates the wave's counts, pauses
// the job on a canary failure or when failures cross max_failures, and opens
// the next wave when this one is done.
[[nodiscard]] absl::Status OnTaskEnded(Connection& db, const TaskKey& task,
                                       std::optional<int64_t> task_wave,
                                       v1::TaskState to,
                                       absl::string_view message, int64_t now,
                                       WriteEffects* effects);

// Pauses a PENDING/RUNNING job when its failures exceed max_failures (a job
// can start over the threshold when devices cannot run it at all).
[[nodiscard]] absl::Status MaybePauseForFailures(Connection& db,
                                                 const JobRollout& job,
                                                 int64_t now,
                                                 WriteEffects* effects);

// Opens the next wave when the current one used its budget and every task of
// it ended (after the canaries: pauses for approval instead when asked to).
// Only for PENDING/RUNNING jobs.
[[nodiscard]] absl::Status MaybeAdvanceWave(Connection& db,
                                            const JobRollout& job, int64_t now,
                                            WriteEffects* effects);

// Moves the job to its next wave, leasing from `opens_at`.
[[nodiscard]] absl::Status OpenNextWave(Connection& db, const JobRollout& job,
                                        int64_t opens_at, int64_t now,
                                        WriteEffects* effects);

// PENDING/RUNNING -> PAUSED with `cause` and `reason`; other states are left
// alone.
[[nodiscard]] absl::Status PauseJobFor(Connection& db, absl::string_view job_id,
                                       v1::PauseCause cause,
                                       absl::string_view reason,
                                       WriteEffects* effects);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_ROLLOUT_H_

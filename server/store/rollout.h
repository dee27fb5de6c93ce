// The rollout state machine of a job, kept on its row in the caller's
// transaction: waves (the canaries are wave 0), canary outcome and approval,
// and the failure threshold. Leasing reads the same columns (lease.cc).
//
// A wave is a budget of leases: wave 0 allows `canary` leases, every later
// wave `wave_size` (0: no limit). A task counts in the wave it was leased in
// until it ends (an automatic retry keeps counting in that wave and needs no
// new slot). Wave k+1 opens when wave k used its budget and every task leased
// in it ended; it starts leasing `wave_interval` later. A canary that ends
// skipped gives its slot back. Precise rules: docs/server.md.
#ifndef MDEFLEET_SERVER_STORE_ROLLOUT_H_
#define MDEFLEET_SERVER_STORE_ROLLOUT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

// The rollout columns of one job.
struct JobRollout {
  std::string job_id;
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;
  v1::PauseCause pause_cause = v1::PAUSE_CAUSE_UNSPECIFIED;
  int64_t total = 0;
  int64_t failures = 0;  // failed + timed_out
  int64_t canary = 0;
  bool canary_approval = false;
  int64_t wave_size = 0;
  int64_t wave_interval_micros = 0;
  int64_t wave = 1;
  int64_t wave_leased = 0;
  int64_t wave_pending = 0;
  int64_t wave_failed = 0;
  std::optional<int64_t> max_failures;

  // Leases the current wave allows; 0: no limit.
  int64_t budget() const { return wave == 0 ? canary : wave_size; }
};

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

// How many waiting devices a job that may lease `budget` more tasks should
// wake (0 budget: no limit).
int WakeCount(int64_t budget);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_ROLLOUT_H_

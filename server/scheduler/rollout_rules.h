// The rollout rules of a job, as plain decisions over its counters: waves
// (the canaries are wave 0), the canary outcome and approval, and the failure
// threshold. The store reads a JobRollout, asks here, and writes the answer
// (server/store/rollout.h); nothing here touches a database.
//
// A wave is a budget of leases: wave 0 allows `canary` leases, every later
// wave `wave_size` (0: no limit). A task counts in the wave it was leased in
// until it ends (an automatic retry keeps counting in that wave and needs no
// new slot). Wave k+1 opens when wave k used its budget and every task leased
// in it ended; it starts leasing `wave_interval` later. A canary that ends
// skipped gives its slot back. Precise rules: docs/server.md.
#ifndef MDEFLEET_SERVER_SCHEDULER_ROLLOUT_RULES_H_
#define MDEFLEET_SERVER_SCHEDULER_ROLLOUT_RULES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet::scheduler {

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

// PENDING or RUNNING: a job that may lease and change waves.
bool IsActive(v1::JobState state);
// FAILED or TIMED_OUT: what counts against max_failures.
bool IsFailure(v1::TaskState state);

// How many waiting devices a job that may lease `budget` more tasks should
// wake (0 budget: no limit, a bounded number).
int WakeCount(int64_t budget);

// Whether the job's failures are over its --max-failures (and it is active,
// so pausing it means something).
bool ShouldPauseForFailures(const JobRollout& job);

// What to do with the job's waves now: nothing, pause for approval after the
// canaries, or open the next wave at `opens_at`.
struct WaveStep {
  bool await_approval = false;
  std::optional<int64_t> open_next_at;  // microseconds
};
WaveStep NextWaveStep(const JobRollout& job, int64_t now);

// What a task of the job ending in `to` does to its rollout; `task_wave` is
// the wave its attempt was leased in (nullopt: never leased). `job` is read
// after the task's counters moved (its failures include this one).
struct TaskEndedDecision {
  bool counted_in_wave = false;  // the task held a slot of the current wave
  bool wave_failure = false;     // ...and failed: wave_failed + 1
  bool refund_slot = false;      // ...a skipped canary: the slot goes back
  // At most one pause, the first that applies: canary failed, over
  // max_failures, awaiting approval.
  std::optional<v1::PauseCause> pause;
  std::optional<int64_t> open_next_wave_at;
  JobRollout after;  // the rollout with the above applied
};
TaskEndedDecision DecideTaskEnded(const JobRollout& job,
                                  std::optional<int64_t> task_wave,
                                  v1::TaskState to, int64_t now);

// What `jobs resume` does to a paused job's rollout (`job` read after the
// job's state was set back to PENDING/RUNNING; `cause` is why it was
// paused): open the first wave now (approval of the canaries, or an
// override of a failed canary), or wake devices for what the current wave
// still allows and carry on.
struct ResumeStep {
  bool open_first_wave_now = false;
  int wake = 0;  // devices to wake when the wave is not opened now
};
ResumeStep DecideResume(const JobRollout& job, v1::PauseCause cause);

// The state reasons of the rollout's pauses; they say what to do next.
std::string CanaryFailedReason(absl::string_view job_id,
                               absl::string_view hostname,
                               absl::string_view message);
// `threshold` as submitted ("5%", "3").
std::string MaxFailuresReason(const JobRollout& job,
                              const v1::Threshold& threshold);
std::string AwaitingApprovalReason(const JobRollout& job);

}  // namespace mdefleet::scheduler

#endif  // MDEFLEET_SERVER_SCHEDULER_ROLLOUT_RULES_H_

#include "server/scheduler/rollout_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/rollout_policy.h"

namespace mdefleet::scheduler {
namespace {

// Devices woken for a job without a lease budget: enough to keep a fleet
// busy, few enough that a wake is not a thundering herd.
constexpr int kUnlimitedWake = 256;

}  // namespace

bool IsActive(v1::JobState state) {
  return state == v1::JOB_STATE_PENDING || state == v1::JOB_STATE_RUNNING;
}

bool IsFailure(v1::TaskState state) {
  return state == v1::TASK_STATE_FAILED || state == v1::TASK_STATE_TIMED_OUT;
}

int WakeCount(int64_t budget) {
  if (budget <= 0) return kUnlimitedWake;
  return static_cast<int>(std::min<int64_t>(budget, kUnlimitedWake));
}

bool ShouldPauseForFailures(const JobRollout& job) {
  return IsActive(job.state) && job.max_failures.has_value() &&
         job.failures > *job.max_failures;
}

WaveStep NextWaveStep(const JobRollout& job, int64_t now) {
  if (!IsActive(job.state)) return {};
  const int64_t budget = job.budget();
  if (budget == 0 || job.wave_leased < budget || job.wave_pending > 0) {
    return {};
  }
  if (job.wave == 0) {
    if (job.wave_failed > 0) return {};  // paused at the failure
    if (job.canary_approval)
      return {.await_approval = true, .open_next_at = {}};
  }
  return {.await_approval = false,
          .open_next_at = now + job.wave_interval_micros};
}

TaskEndedDecision DecideTaskEnded(const JobRollout& job,
                                  std::optional<int64_t> task_wave,
                                  v1::TaskState to, int64_t now) {
  TaskEndedDecision d;
  d.after = job;
  JobRollout& after = d.after;
  const bool failure = IsFailure(to);
  if (task_wave.has_value() && *task_wave == job.wave) {
    d.counted_in_wave = true;
    d.wave_failure = failure;
    // A skipped canary proved nothing: its slot goes to another device.
    d.refund_slot = job.wave == 0 && to == v1::TASK_STATE_SKIPPED;
    after.wave_pending -= 1;
    after.wave_failed += failure ? 1 : 0;
    after.wave_leased -= d.refund_slot ? 1 : 0;
    if (failure && job.wave == 0 && IsActive(job.state)) {
      d.pause = v1::PAUSE_CAUSE_CANARY_FAILED;
      after.state = v1::JOB_STATE_PAUSED;
    }
  }
  if (failure && ShouldPauseForFailures(after)) {
    d.pause = v1::PAUSE_CAUSE_MAX_FAILURES;
    after.state = v1::JOB_STATE_PAUSED;
  }
  const WaveStep wave = NextWaveStep(after, now);
  if (wave.await_approval) {
    d.pause = v1::PAUSE_CAUSE_AWAITING_APPROVAL;
    after.state = v1::JOB_STATE_PAUSED;
  }
  d.open_next_wave_at = wave.open_next_at;
  return d;
}

ResumeStep DecideResume(const JobRollout& job, v1::PauseCause cause) {
  // A failed canary that retry-failed queued again is a canary again
  // (wave_failed went back to 0): the canaries go on.
  if (job.wave == 0 &&
      (cause == v1::PAUSE_CAUSE_AWAITING_APPROVAL ||
       (cause == v1::PAUSE_CAUSE_CANARY_FAILED && job.wave_failed > 0))) {
    return {.open_first_wave_now = true, .wake = 0};
  }
  return {.open_first_wave_now = false,
          .wake = WakeCount(
              job.budget() == 0
                  ? 0
                  : std::max<int64_t>(job.budget() - job.wave_leased, 1))};
}

std::string CanaryFailedReason(absl::string_view job_id,
                               absl::string_view hostname,
                               absl::string_view message) {
  return absl::StrCat(
      "paused: canary failed on ", hostname, ": ", message,
      ". Fix the cause and `mdefleetctl jobs retry-failed ", job_id,
      "`, or continue anyway with `mdefleetctl jobs resume ", job_id, "`");
}

std::string MaxFailuresReason(const JobRollout& job,
                              const v1::Threshold& threshold) {
  std::string text =
      absl::StrCat("--max-failures ", FormatThreshold(threshold));
  if (threshold.has_percent()) {
    absl::StrAppend(&text, " (", job.max_failures.value_or(0), " of ",
                    job.total, " tasks)");
  }
  return absl::StrCat(
      "paused: ", job.failures,
      job.failures == 1 ? " failure exceeds " : " failures exceed ", text,
      "; nothing more is leased. Fix the cause, then `mdefleetctl jobs "
      "retry-failed ",
      job.job_id, "` and `mdefleetctl jobs resume ", job.job_id, "`");
}

std::string AwaitingApprovalReason(const JobRollout& job) {
  return absl::StrCat("awaiting approval: the ", job.canary,
                      job.canary == 1 ? " canary" : " canaries",
                      " succeeded; continue with `mdefleetctl jobs resume ",
                      job.job_id, "`");
}

}  // namespace mdefleet::scheduler

// Automatic retries under a job's policy: whether a failed attempt (a
// retryable failure or a lost lease) runs again, and when. Plain decisions;
// the store reads the inputs and queues the retry (server/store/retries.h).
#ifndef MDEFLEET_SERVER_SCHEDULER_RETRY_RULES_H_
#define MDEFLEET_SERVER_SCHEDULER_RETRY_RULES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet::scheduler {

// What the retry decision reads: the job's policy and state, and the task's
// retries so far.
struct RetryInputs {
  v1::JobState job_state = v1::JOB_STATE_UNSPECIFIED;
  int64_t retries = 0;               // the policy's --retries
  int64_t retry_backoff_micros = 0;  // 0: the default backoff
  std::optional<int64_t> deadline_at;
  int64_t retries_used = 0;
};

// An automatic retry a task may have.
struct RetrySlot {
  int64_t at = 0;      // now + RetryDelay(backoff, number)
  int64_t number = 1;  // 1-based
  int64_t of = 0;      // the policy's retries
};

// The automatic retry of an attempt that just failed at `now`; nullopt when
// the job allows none: no retries left, the job is not PENDING, RUNNING or
// PAUSED, or the retry would start at or after its deadline.
std::optional<RetrySlot> NextAutomaticRetry(const RetryInputs& in, int64_t now);

// "retry 1 of 3 at 2024-03-01 12:01:00Z".
std::string RetryNote(const RetrySlot& retry);

}  // namespace mdefleet::scheduler

#endif  // MDEFLEET_SERVER_SCHEDULER_RETRY_RULES_H_

#include "server/scheduler/retry_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/rollout_policy.h"

namespace mdefleet::scheduler {

std::optional<RetrySlot> NextAutomaticRetry(const RetryInputs& in,
                                            int64_t now) {
  if (in.job_state != v1::JOB_STATE_PENDING &&
      in.job_state != v1::JOB_STATE_RUNNING &&
      in.job_state != v1::JOB_STATE_PAUSED) {
    return std::nullopt;
  }
  if (in.retries_used >= in.retries) return std::nullopt;
  const absl::Duration backoff =
      in.retry_backoff_micros > 0 ? absl::Microseconds(in.retry_backoff_micros)
                                  : kDefaultRetryBackoff;
  const int64_t at =
      now + absl::ToInt64Microseconds(RetryDelay(backoff, in.retries_used + 1));
  if (in.deadline_at.has_value() && at >= *in.deadline_at) return std::nullopt;
  return RetrySlot{at, in.retries_used + 1, in.retries};
}

std::string RetryNote(const RetrySlot& retry) {
  return absl::StrCat(
      "retry ", retry.number, " of ", retry.of, " at ",
      absl::FormatTime("%Y-%m-%d %H:%M:%SZ", absl::FromUnixMicros(retry.at),
                       absl::UTCTimeZone()));
}

}  // namespace mdefleet::scheduler

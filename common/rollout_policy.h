// A job's rollout policy (v1::RolloutPolicy): the checks that need no context
// (part of ValidateJobSpec), its resolution at submit against the targeted
// devices and the clock, and the retry backoff. Pure: no I/O, no clock of its
// own. docs/server.md ("Rollout policy") states the rules.
#ifndef MDEFLEET_COMMON_ROLLOUT_POLICY_H_
#define MDEFLEET_COMMON_ROLLOUT_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/plan.pb.h"

namespace mdefleet {

inline constexpr uint32_t kMaxCanary = 100000;
inline constexpr uint32_t kMaxRetries = 10;
inline constexpr absl::Duration kDefaultRetryBackoff = absl::Minutes(1);
inline constexpr absl::Duration kMaxRetryBackoff = absl::Hours(1);
inline constexpr absl::Duration kMinTaskTimeout = absl::Seconds(1);
inline constexpr absl::Duration kMaxPolicyDuration = absl::Hours(24 * 366);

// InvalidArgument "policy.<field>: <why> (--<flag>)" or Ok: ranges,
// percentages over 100, negative or zero durations where they mean nothing,
// and combinations that cannot work (canary_approval without canary,
// wave_interval without waves or canaries).
[[nodiscard]] absl::Status ValidateRolloutPolicy(
    const v1::RolloutPolicy& policy);

// The policy as the store applies it: counts instead of percentages, an
// absolute deadline.
struct ResolvedPolicy {
  int64_t max_in_flight = 0;  // 0: no limit
  int64_t canary = 0;         // 0: no canary wave
  bool canary_approval = false;
  int64_t wave_size = 0;  // 0: no limit (one wave)
  absl::Duration wave_interval = absl::ZeroDuration();
  std::optional<int64_t> max_failures;
  absl::Duration task_timeout = absl::ZeroDuration();  // zero: server default
  std::optional<absl::Time> deadline;                  // effective (capped)
  bool deadline_capped = false;  // the offboarding script's expiry applied
  int64_t retries = 0;
  absl::Duration retry_backoff = kDefaultRetryBackoff;
};

// Resolves `policy` (already validated) for a job targeting `targeted`
// devices, submitted at `now`: a percentage wave size is rounded up (at least
// one device), a percentage max_failures rounded down; deadline_after becomes
// an absolute deadline, written back into `policy` (the stored form); the
// effective deadline is capped at `script_expiry` (when an offboarding
// script stops being valid). InvalidArgument naming field and flag when the
// canary is larger than the targeted devices or the deadline is not in the
// future.
[[nodiscard]] absl::StatusOr<ResolvedPolicy> ResolveRolloutPolicy(
    v1::RolloutPolicy* policy, int64_t targeted, absl::Time now,
    std::optional<absl::Time> script_expiry);

// InvalidArgument (policy.task_timeout) when the task timeout is shorter than
// a step's own timeout in `plan` (the plan of `device`, named in the
// message): the task timeout would end the task while that step may still
// legitimately run (an MSI install). Ok when no task timeout is set.
[[nodiscard]] absl::Status CheckTaskTimeoutFitsPlan(
    const v1::RolloutPolicy& policy, const v1::Plan& plan,
    absl::string_view device);

// Delay before automatic retry number `n` (1-based): backoff * 2^(n-1),
// capped at kMaxRetryBackoff.
absl::Duration RetryDelay(absl::Duration backoff, int64_t n);

// "5" or "2.5%"; "" when neither is set.
std::string FormatThreshold(const v1::Threshold& threshold);

// Converts protobuf durations and timestamps.
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);
absl::Time FromProtoTime(const google::protobuf::Timestamp& ts);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_ROLLOUT_POLICY_H_

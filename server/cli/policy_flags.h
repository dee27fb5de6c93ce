// The rollout-policy flags of `jobs submit`: --canary, --canary-approval,
// --max-in-flight, --wave-size, --wave-interval, --max-failures,
// --task-timeout, --deadline, --retries, --retry-backoff,
// --maintenance-window, --maintenance-window-scope. Parsed and checked
// locally (usage errors naming the flag) before anything is sent; the server
// checks them again against the target and its clock.
#ifndef MDEFLEET_SERVER_CLI_POLICY_FLAGS_H_
#define MDEFLEET_SERVER_CLI_POLICY_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet::cli {

// The flags as typed; empty strings are "not given".
struct PolicyFlags {
  uint32_t max_in_flight = 0;
  uint32_t canary = 0;
  bool canary_approval = false;
  std::string wave_size;      // N or P%
  std::string wave_interval;  // duration
  std::string max_failures;   // N or P%
  std::string task_timeout;   // duration
  std::string deadline;       // duration from now, or an RFC 3339 time
  uint32_t retries = 0;
  std::string retry_backoff;  // duration
  // "Sat 01:00-05:00"; each may also be a comma-separated list.
  std::vector<std::string> maintenance_windows;
  std::string maintenance_window_scope;  // reboot | task
};

// "N" (a number of devices) or "P%" (a percentage of the targeted devices,
// fractions allowed, at most 100%). Usage error naming `flag` otherwise, and
// for 0 unless `allow_zero`.
[[nodiscard]] absl::StatusOr<v1::Threshold> ParseThreshold(
    absl::string_view text, absl::string_view flag, bool allow_zero);

// The RolloutPolicy of the flags: a --deadline that parses as a duration is
// sent as deadline_after (the server adds it to its own clock), otherwise it
// must be an RFC 3339 time ("2024-05-01T18:00:00Z"). Usage errors name the
// flag; the combination is checked with ValidateRolloutPolicy.
[[nodiscard]] absl::StatusOr<v1::RolloutPolicy> BuildRolloutPolicy(
    const PolicyFlags& flags);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_POLICY_FLAGS_H_

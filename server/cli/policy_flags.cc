#include "server/cli/policy_flags.h"

#include <cmath>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/maintenance_window.h"
#include "common/rollout_policy.h"
#include "server/cli/duration.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {
namespace {

[[nodiscard]] absl::Status Bad(absl::string_view flag, absl::string_view text,
                               absl::string_view why) {
  return UsageError(absl::StrCat(flag, " \"", text, "\": ", why));
}

// A duration flag; zero only when `allow_zero`.
[[nodiscard]] absl::StatusOr<google::protobuf::Duration> DurationFlag(
    absl::string_view text, absl::string_view flag, bool allow_zero) {
  absl::StatusOr<absl::Duration> d = ParseCliDuration(text, flag);
  if (!d.ok()) return d.status();
  if (*d == absl::ZeroDuration() && !allow_zero) {
    return Bad(flag, text, "must be longer than 0");
  }
  return ToProtoDuration(*d);
}

}  // namespace

absl::StatusOr<v1::Threshold> ParseThreshold(absl::string_view text,
                                             absl::string_view flag,
                                             bool allow_zero) {
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  v1::Threshold out;
  if (absl::ConsumeSuffix(&rest, "%")) {
    double percent = 0;
    if (rest.empty() || rest[0] == '-' || rest[0] == '+' ||
        !absl::SimpleAtod(rest, &percent) || !std::isfinite(percent)) {
      return Bad(flag, text,
                 "expected a number of devices (5) or a percentage (5%)");
    }
    if (percent > 100) return Bad(flag, text, "a percentage over 100%");
    if (percent == 0 && !allow_zero) {
      return Bad(flag, text, "must be more than 0%");
    }
    out.set_percent(percent);
    return out;
  }
  uint32_t count = 0;
  if (rest.empty() || rest[0] == '-' || rest[0] == '+' ||
      !absl::SimpleAtoi(rest, &count)) {
    return Bad(flag, text,
               "expected a number of devices (5) or a percentage (5%)");
  }
  if (count == 0 && !allow_zero) return Bad(flag, text, "must be at least 1");
  out.set_count(count);
  return out;
}

absl::StatusOr<v1::RolloutPolicy> BuildRolloutPolicy(const PolicyFlags& f) {
  v1::RolloutPolicy policy;
  policy.set_max_in_flight(f.max_in_flight);
  policy.set_canary(f.canary);
  policy.set_canary_approval(f.canary_approval);
  if (!f.wave_size.empty()) {
    auto t = ParseThreshold(f.wave_size, "--wave-size", false);
    if (!t.ok()) return t.status();
    *policy.mutable_wave_size() = *t;
  }
  if (!f.wave_interval.empty()) {
    auto d = DurationFlag(f.wave_interval, "--wave-interval", true);
    if (!d.ok()) return d.status();
    *policy.mutable_wave_interval() = *d;
  }
  if (!f.max_failures.empty()) {
    auto t = ParseThreshold(f.max_failures, "--max-failures", true);
    if (!t.ok()) return t.status();
    *policy.mutable_max_failures() = *t;
  }
  if (!f.task_timeout.empty()) {
    auto d = DurationFlag(f.task_timeout, "--task-timeout", false);
    if (!d.ok()) return d.status();
    *policy.mutable_task_timeout() = *d;
  }
  if (!f.deadline.empty()) {
    if (absl::StatusOr<absl::Duration> d =
            ParseCliDuration(f.deadline, "--deadline");
        d.ok()) {
      if (*d == absl::ZeroDuration()) {
        return Bad("--deadline", f.deadline, "must be later than now");
      }
      *policy.mutable_deadline_after() = ToProtoDuration(*d);
    } else if (std::optional<absl::Time> at = ParseRfc3339(f.deadline)) {
      *policy.mutable_deadline() = ToProtoTimestamp(*at);
    } else {
      return Bad("--deadline", f.deadline,
                 "expected a duration from now (48h, 7d) or an RFC 3339 time "
                 "(2024-05-01T18:00:00Z)");
    }
  }
  policy.set_retries(f.retries);
  if (!f.retry_backoff.empty()) {
    auto d = DurationFlag(f.retry_backoff, "--retry-backoff", false);
    if (!d.ok()) return d.status();
    *policy.mutable_retry_backoff() = *d;
  }
  for (const std::string& flag : f.maintenance_windows) {
    for (absl::string_view text : absl::StrSplit(flag, ',')) {
      auto window = ParseMaintenanceWindow(text, "--maintenance-window");
      if (!window.ok()) return UsageError(window.status().message());
      policy.add_maintenance_windows()->set_spec(
          FormatMaintenanceWindow(*window));
    }
  }
  if (!f.maintenance_window_scope.empty()) {
    const std::string scope = absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(f.maintenance_window_scope));
    if (scope == "task") {
      policy.set_maintenance_scope(v1::MAINTENANCE_SCOPE_WHOLE_TASK);
    } else if (scope != "reboot") {
      return Bad("--maintenance-window-scope", f.maintenance_window_scope,
                 "expected reboot (only steps that restart the machine wait "
                 "for a window) or task (tasks start only in a window)");
    }
    if (policy.maintenance_windows_size() == 0) {
      return Bad("--maintenance-window-scope", f.maintenance_window_scope,
                 "needs --maintenance-window");
    }
  }
  if (absl::Status s = ValidateRolloutPolicy(policy); !s.ok()) {
    return UsageError(s.message());
  }
  return policy;
}

}  // namespace mdefleet::cli

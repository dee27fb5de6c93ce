#include "common/rollout_policy.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/maintenance_window.h"

namespace mdefleet {
namespace {

[[nodiscard]] absl::Status Invalid(absl::string_view field,
                                   absl::string_view flag,
                                   absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("policy.", field, ": ", why, " (", flag, ")"));
}

std::string FormatPercent(double percent) {
  std::string text = absl::StrFormat("%.2f", percent);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return absl::StrCat(text, "%");
}

// A threshold that is set: a count, or a percentage in [min_percent, 100].
[[nodiscard]] absl::Status CheckThreshold(const v1::Threshold& t,
                                          absl::string_view field,
                                          absl::string_view flag,
                                          bool allow_zero) {
  switch (t.limit_case()) {
    case v1::Threshold::kCount:
      if (t.count() == 0 && !allow_zero) {
        return Invalid(field, flag, "must be at least 1 device");
      }
      if (t.count() > kMaxCanary) {
        return Invalid(
            field, flag,
            absl::StrCat("must be at most ", kMaxCanary, " devices"));
      }
      return absl::OkStatus();
    case v1::Threshold::kPercent: {
      const double p = t.percent();
      if (!std::isfinite(p) || p < 0) {
        return Invalid(field, flag, "a percentage must be between 0 and 100");
      }
      if (p > 100) {
        return Invalid(field, flag,
                       absl::StrCat(FormatPercent(p), " is over 100%"));
      }
      if (p == 0 && !allow_zero) {
        return Invalid(field, flag, "0% would never lease anything");
      }
      return absl::OkStatus();
    }
    case v1::Threshold::LIMIT_NOT_SET:
      break;
  }
  return Invalid(field, flag, "set a count or a percentage");
}

[[nodiscard]] absl::Status CheckDuration(const google::protobuf::Duration& d,
                                         absl::string_view field,
                                         absl::string_view flag,
                                         bool allow_zero) {
  const absl::Duration value = FromProtoDuration(d);
  if (value < absl::ZeroDuration()) {
    return Invalid(field, flag, "must not be negative");
  }
  if (value == absl::ZeroDuration() && !allow_zero) {
    return Invalid(field, flag, "must be positive");
  }
  if (value > kMaxPolicyDuration) {
    return Invalid(field, flag,
                   absl::StrCat("must be at most ",
                                absl::FormatDuration(kMaxPolicyDuration)));
  }
  return absl::OkStatus();
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// Longest own timeout of a step (programs and service waits), with its name.
std::pair<absl::Duration, std::string> LongestStep(const v1::Plan& plan) {
  std::pair<absl::Duration, std::string> longest{absl::ZeroDuration(), ""};
  for (const v1::PlannedStep& step : plan.steps()) {
    absl::Duration timeout = absl::ZeroDuration();
    if (step.action().has_run_process()) {
      timeout = FromProtoDuration(step.action().run_process().timeout());
    } else if (step.action().has_wait_service_state()) {
      timeout = FromProtoDuration(step.action().wait_service_state().timeout());
    }
    if (timeout > longest.first) longest = {timeout, step.name()};
  }
  return longest;
}

}  // namespace

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::Time FromProtoTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::Status ValidateRolloutPolicy(const v1::RolloutPolicy& policy) {
  if (policy.canary() > kMaxCanary) {
    return Invalid("canary", "--canary",
                   absl::StrCat("must be at most ", kMaxCanary, " devices"));
  }
  if (policy.canary_approval() && policy.canary() == 0) {
    return Invalid("canary_approval", "--canary-approval",
                   "needs canaries to approve; set --canary N");
  }
  if (policy.has_wave_size()) {
    if (absl::Status s = CheckThreshold(policy.wave_size(), "wave_size",
                                        "--wave-size", /*allow_zero=*/false);
        !s.ok()) {
      return s;
    }
  }
  if (policy.has_wave_interval()) {
    if (absl::Status s = CheckDuration(policy.wave_interval(), "wave_interval",
                                       "--wave-interval", /*allow_zero=*/true);
        !s.ok()) {
      return s;
    }
    if (FromProtoDuration(policy.wave_interval()) > absl::ZeroDuration() &&
        !policy.has_wave_size() && policy.canary() == 0) {
      return Invalid("wave_interval", "--wave-interval",
                     "only applies between waves; set --wave-size or "
                     "--canary");
    }
  }
  if (policy.has_max_failures()) {
    if (absl::Status s = CheckThreshold(policy.max_failures(), "max_failures",
                                        "--max-failures", /*allow_zero=*/true);
        !s.ok()) {
      return s;
    }
  }
  if (policy.has_task_timeout()) {
    if (absl::Status s = CheckDuration(policy.task_timeout(), "task_timeout",
                                       "--task-timeout", /*allow_zero=*/false);
        !s.ok()) {
      return s;
    }
    if (FromProtoDuration(policy.task_timeout()) < kMinTaskTimeout) {
      return Invalid("task_timeout", "--task-timeout",
                     absl::StrCat("must be at least ",
                                  absl::FormatDuration(kMinTaskTimeout)));
    }
  }
  if (policy.has_deadline_after()) {
    if (absl::Status s =
            CheckDuration(policy.deadline_after(), "deadline_after",
                          "--deadline", /*allow_zero=*/false);
        !s.ok()) {
      return s;
    }
  }
  if (policy.retries() > kMaxRetries) {
    return Invalid("retries", "--retries",
                   absl::StrCat("must be at most ", kMaxRetries, " (got ",
                                policy.retries(), ")"));
  }
  if (policy.has_retry_backoff()) {
    if (absl::Status s = CheckDuration(policy.retry_backoff(), "retry_backoff",
                                       "--retry-backoff", /*allow_zero=*/false);
        !s.ok()) {
      return s;
    }
    if (policy.retries() == 0) {
      return Invalid("retry_backoff", "--retry-backoff",
                     "only applies to retries; set --retries N");
    }
  }
  if (auto windows = ParsePolicyWindows(policy); !windows.ok()) {
    return windows.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<ResolvedPolicy> ResolveRolloutPolicy(
    v1::RolloutPolicy* policy, int64_t targeted, absl::Time now,
    std::optional<absl::Time> script_expiry) {
  ResolvedPolicy out;
  out.max_in_flight = policy->max_in_flight();
  out.canary = policy->canary();
  out.canary_approval = policy->canary_approval();
  if (out.canary > targeted) {
    return Invalid(
        "canary", "--canary",
        absl::StrCat(out.canary, " canaries but the target matches ", targeted,
                     targeted == 1 ? " device" : " devices"));
  }
  if (policy->has_wave_size()) {
    const v1::Threshold& w = policy->wave_size();
    if (w.has_count()) {
      out.wave_size = w.count();
    } else {
      out.wave_size = static_cast<int64_t>(
          std::ceil(static_cast<double>(targeted) * w.percent() / 100.0));
    }
    out.wave_size = std::max<int64_t>(out.wave_size, 1);
  }
  out.wave_interval = FromProtoDuration(policy->wave_interval());
  if (policy->has_max_failures()) {
    const v1::Threshold& m = policy->max_failures();
    out.max_failures =
        m.has_count()
            ? static_cast<int64_t>(m.count())
            : static_cast<int64_t>(std::floor(
                  static_cast<double>(targeted) * m.percent() / 100.0 + 1e-9));
  }
  out.task_timeout = FromProtoDuration(policy->task_timeout());
  if (policy->has_deadline_after()) {
    const absl::Time at = now + FromProtoDuration(policy->deadline_after());
    const int64_t nanos = absl::ToUnixNanos(at);
    policy->mutable_deadline()->set_seconds(nanos / 1000000000);
    policy->mutable_deadline()->set_nanos(
        static_cast<int32_t>(nanos % 1000000000));
  }
  if (policy->has_deadline()) {
    const absl::Time deadline = FromProtoTime(policy->deadline());
    if (deadline <= now) {
      return Invalid(
          "deadline", "--deadline",
          absl::StrCat(Rfc3339(deadline), " is not in the future (now ",
                       Rfc3339(now), ")"));
    }
    out.deadline = deadline;
  }
  if (script_expiry.has_value() &&
      (!out.deadline.has_value() || *script_expiry < *out.deadline)) {
    out.deadline = *script_expiry;
    out.deadline_capped = true;
  }
  // Maintenance windows are stored in their canonical form.
  for (v1::MaintenanceWindow& w : *policy->mutable_maintenance_windows()) {
    auto parsed = ParseMaintenanceWindow(w.spec(), "--maintenance-window");
    if (!parsed.ok()) return parsed.status();
    w.set_spec(FormatMaintenanceWindow(*parsed));
  }
  out.retries = policy->retries();
  if (policy->has_retry_backoff()) {
    out.retry_backoff = FromProtoDuration(policy->retry_backoff());
  }
  return out;
}

absl::Status CheckTaskTimeoutFitsPlan(const v1::RolloutPolicy& policy,
                                      const v1::Plan& plan,
                                      absl::string_view device) {
  if (!policy.has_task_timeout()) return absl::OkStatus();
  const absl::Duration timeout = FromProtoDuration(policy.task_timeout());
  const auto [longest, step] = LongestStep(plan);
  if (timeout < longest) {
    return Invalid(
        "task_timeout", "--task-timeout",
        absl::StrCat(absl::FormatDuration(timeout), " is shorter than step ",
                     step, " on ", device, " may run (",
                     absl::FormatDuration(longest),
                     "): the task timeout would cut the step short"));
  }
  return absl::OkStatus();
}

absl::Duration RetryDelay(absl::Duration backoff, int64_t n) {
  absl::Duration delay = backoff;
  for (int64_t i = 1; i < n && delay < kMaxRetryBackoff; ++i) delay *= 2;
  return std::min(delay, kMaxRetryBackoff);
}

std::string FormatThreshold(const v1::Threshold& threshold) {
  switch (threshold.limit_case()) {
    case v1::Threshold::kCount:
      return absl::StrCat(threshold.count());
    case v1::Threshold::kPercent:
      return FormatPercent(threshold.percent());
    case v1::Threshold::LIMIT_NOT_SET:
      break;
  }
  return "";
}

}  // namespace mdefleet

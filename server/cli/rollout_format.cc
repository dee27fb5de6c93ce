#include "server/cli/rollout_format.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/rollout_policy.h"
#include "server/cli/duration.h"
#include "server/cli/format.h"

namespace mdefleet::cli {
namespace {

bool IsSet(const google::protobuf::Timestamp& ts) {
  return ts.seconds() != 0 || ts.nanos() != 0;
}

std::string Plural(uint32_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::string WavePosition(const v1::Job& job) {
  const v1::RolloutStatus& r = job.rollout();
  std::string text;
  if (r.wave() == 0) {
    text = absl::StrCat("canaries: ", r.wave_leased(), " of ", r.wave_size(),
                        " leased");
  } else if (r.wave_size() == 0) {
    text = absl::StrCat("wave ", r.wave(), ": no limit (", r.wave_leased(),
                        " leased)");
  } else {
    text = absl::StrCat("wave ", r.wave(), ": ", r.wave_leased(), " of ",
                        r.wave_size(), " leased");
  }
  if (IsSet(r.wave_opens_at())) {
    absl::StrAppend(&text, ", opens ", FormatTimestamp(r.wave_opens_at()));
  }
  return text;
}

}  // namespace

std::string PauseCauseWord(v1::PauseCause cause) {
  switch (cause) {
    case v1::PAUSE_CAUSE_OPERATOR:
      return "operator";
    case v1::PAUSE_CAUSE_AWAITING_APPROVAL:
      return "approval";
    case v1::PAUSE_CAUSE_CANARY_FAILED:
      return "canary failed";
    case v1::PAUSE_CAUSE_MAX_FAILURES:
      return "max failures";
    default:
      return "";
  }
}

std::string JobStateLabel(const v1::Job& job) {
  const std::string cause = PauseCauseWord(job.rollout().pause_cause());
  if (job.state() != v1::JOB_STATE_PAUSED || cause.empty()) {
    return JobStateName(job.state());
  }
  return absl::StrCat(JobStateName(job.state()), " (", cause, ")");
}

std::string JobStateWithReason(const v1::Job& job) {
  const std::string state = JobStateName(job.state());
  const std::string& reason = job.state_reason();
  if (reason.empty()) return state;
  if (absl::StartsWith(reason, state)) return reason;
  return absl::StrCat(state, ": ", reason);
}

std::vector<std::pair<std::string, std::string>> RolloutRows(
    const v1::Job& job) {
  const v1::RolloutPolicy& p = job.spec().policy();
  const v1::RolloutStatus& r = job.rollout();
  std::vector<std::pair<std::string, std::string>> rows;
  if (p.canary() > 0) {
    rows.emplace_back(
        "canary",
        absl::StrCat(Plural(p.canary(), "device", "devices"), " first, then ",
                     p.canary_approval() ? "wait for approval (jobs resume)"
                                         : "continue if none failed"));
  }
  if (p.has_wave_size()) {
    std::string waves =
        absl::StrCat(FormatThreshold(p.wave_size()), " of the devices");
    if (p.wave_size().has_count()) {
      waves = Plural(p.wave_size().count(), "device", "devices");
    }
    absl::StrAppend(&waves, " per wave");
    const absl::Duration interval = FromProtoDuration(p.wave_interval());
    if (interval > absl::ZeroDuration()) {
      absl::StrAppend(&waves, ", ", FormatShortDuration(interval), " apart");
    }
    rows.emplace_back("waves", waves);
  }
  if (r.has_max_failures()) {
    std::string text = FormatThreshold(p.max_failures());
    if (p.max_failures().has_percent()) {
      absl::StrAppend(&text, " (", r.max_failures(), " of ",
                      job.counts().total(), " tasks)");
    }
    rows.emplace_back("max failures",
                      absl::StrCat(text, "; more pause the job"));
  }
  if (p.has_task_timeout()) {
    rows.emplace_back("task timeout",
                      FormatShortDuration(FromProtoDuration(p.task_timeout())));
  }
  if (IsSet(r.deadline())) {
    rows.emplace_back(
        "deadline",
        absl::StrCat(
            FormatTimestamp(r.deadline()),
            r.deadline_capped() ? " (the offboarding script's expiry)" : ""));
  }
  if (p.retries() > 0) {
    const absl::Duration backoff = p.has_retry_backoff()
                                       ? FromProtoDuration(p.retry_backoff())
                                       : kDefaultRetryBackoff;
    rows.emplace_back(
        "retries",
        absl::StrCat(p.retries(), " per task for retryable failures (backoff ",
                     FormatShortDuration(backoff), ", doubling)"));
  }
  if (p.maintenance_windows_size() > 0) {
    std::vector<std::string> windows;
    for (const v1::MaintenanceWindow& w : p.maintenance_windows()) {
      windows.push_back(w.spec());
    }
    rows.emplace_back(
        "maintenance",
        absl::StrCat(absl::StrJoin(windows, ", "), " (device local time); ",
                     p.maintenance_scope() == v1::MAINTENANCE_SCOPE_WHOLE_TASK
                         ? "tasks start, and restart the machine, only then"
                         : "steps that restart the machine wait for it"));
  }
  if ((p.canary() > 0 || p.has_wave_size()) && !IsFinal(job.state())) {
    rows.emplace_back("rollout", WavePosition(job));
  }
  std::vector<std::string> waiting;
  if (r.queued_offline() > 0) {
    waiting.push_back(
        absl::StrCat(Plural(r.queued_offline(), "queued task", "queued tasks"),
                     " on offline devices"));
  }
  if (r.api_waiting() > 0) {
    waiting.push_back(absl::StrCat(
        Plural(r.api_waiting(), "task", "tasks"),
        " waiting for the Defender API rate limit (100 calls/min, 1500/h)"));
  }
  if (r.retry_waiting() > 0) {
    waiting.push_back(absl::StrCat(Plural(r.retry_waiting(), "task", "tasks"),
                                   " waiting to retry"));
  }
  if (!waiting.empty())
    rows.emplace_back("waiting", absl::StrJoin(waiting, ", "));
  return rows;
}

std::vector<std::string> RolloutTracker::Changes(const v1::Job& job) {
  std::vector<std::string> lines;
  const bool paused = job.state() == v1::JOB_STATE_PAUSED;
  const bool was_paused =
      last_.has_value() && last_->state() == v1::JOB_STATE_PAUSED;
  if (paused && (!was_paused || last_->state_reason() != job.state_reason())) {
    const std::string& reason = job.state_reason();
    lines.push_back(absl::StartsWith(reason, "paused") ||
                            absl::StartsWith(reason, "awaiting")
                        ? reason
                        : absl::StrCat("paused: ", reason));
  } else if (was_paused && !paused && !IsFinal(job.state())) {
    lines.push_back(job.state_reason().empty() ? std::string("resumed")
                                               : job.state_reason());
  }
  if (last_.has_value() && job.rollout().wave() > last_->rollout().wave()) {
    const v1::RolloutStatus& r = job.rollout();
    std::string line = absl::StrCat(
        "wave ", r.wave(),
        r.wave_size() > 0
            ? absl::StrCat(" (", Plural(r.wave_size(), "device", "devices"),
                           ")")
            : std::string(" (the rest)"));
    absl::StrAppend(
        &line, IsSet(r.wave_opens_at())
                   ? absl::StrCat(" opens ", FormatTimestamp(r.wave_opens_at()))
                   : std::string(" started"));
    lines.push_back(std::move(line));
  }
  last_ = job;
  return lines;
}

}  // namespace mdefleet::cli

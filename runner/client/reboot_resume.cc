#include "runner/client/reboot_resume.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/maintenance_window.h"
#include "common/rollout_policy.h"

namespace mdefleet::runner {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// "2h30m", rounded up to the minute.
std::string Minutes(absl::Duration d) {
  const absl::Duration up = absl::Ceil(d, absl::Minutes(1));
  return absl::FormatDuration(std::max(up, absl::Minutes(1)));
}

// Whether `result` of `step` asks for a restart.
bool AsksForRestart(const v1::PlannedStep& step, const StepResult& result) {
  if (RestartsByItself(step)) return true;
  if (!step.action().has_run_process() || !result.exit_code.has_value()) {
    return false;
  }
  for (int32_t code : step.action().run_process().reboot_exit_codes()) {
    if (code == *result.exit_code) return true;
  }
  return FinishesByRestart(step, result);
}

// How often a wait re-reports its progress (each report renews the lease):
// a third of the lease, between 1 and 15 minutes.
absl::Duration ProgressInterval(const v1::LeasedTask& task) {
  const absl::Duration lease = FromProtoDuration(task.lease_duration());
  return std::clamp(lease / 3, absl::Minutes(1), absl::Minutes(15));
}

}  // namespace

bool RestartsByItself(const v1::PlannedStep& step) {
  return step.action().has_reboot();
}

bool FinishesByRestart(const v1::PlannedStep& step, const StepResult& result) {
  if (!step.action().has_run_process() || !result.exit_code.has_value()) {
    return false;
  }
  for (int32_t code : step.action().run_process().restart_after_exit_codes()) {
    if (code == *result.exit_code) return true;
  }
  return false;
}

bool RebootResume::Sleep(absl::Duration d) {
  if (opts_.sleep) return opts_.sleep(d);
  if (opts_.stop != nullptr)
    return opts_.stop->WaitForNotificationWithTimeout(d);
  absl::SleepFor(d);
  return false;
}

RebootStep RebootResume::Failed(const std::string& message,
                                const StepResult* base) {
  RebootStep out;
  out.next = RebootStep::Next::kReport;
  if (base != nullptr) out.result = *base;
  out.result.state = v1::STEP_STATE_FAILED;
  out.result.message = message;
  out.result.started_at = out.result.finished_at = opts_.clock->Now();
  if (base != nullptr) out.result.started_at = base->started_at;
  return out;
}

RebootStep RebootResume::JournalError(const absl::Status& s) {
  RebootStep out;
  out.next = RebootStep::Next::kStopped;
  out.summary = absl::StrCat("journal: ", s.message());
  return out;
}

RebootStep RebootResume::Resume(uint32_t index, const v1::PlannedStep& step,
                                const ProgressReporter& progress) {
  const std::optional<JournalReboot>& recorded = journal_.reboot();
  if (!recorded || recorded->step_index != index ||
      recorded->phase == RebootPhase::kDone) {
    return {};
  }
  JournalReboot reboot = *recorded;
  if (reboot.phase == RebootPhase::kWaiting) {
    return WaitForWindow(std::move(reboot), progress);
  }
  absl::StatusOr<OsInfo> os = host_.GetOsInfo();
  if (!os.ok()) {
    reboot.phase = RebootPhase::kDone;
    if (absl::Status s = journal_.SetReboot(reboot); !s.ok()) {
      return JournalError(s);
    }
    return Failed(absl::StrCat("cannot read the boot time to check the "
                               "restart (",
                               reboot.reason, "): ", os.status().message()),
                  nullptr);
  }
  if (os->boot_time > reboot.boot_time_before + kBootTimeTolerance) {
    reboot.phase = RebootPhase::kDone;
    if (absl::Status s = journal_.SetReboot(reboot); !s.ok()) {
      return JournalError(s);
    }
    if (!RestartsByItself(step) && !reboot.completes_step) {
      RebootStep out;
      out.next = RebootStep::Next::kRunAgain;
      return out;
    }
    RebootStep out;
    out.next = RebootStep::Next::kReport;
    out.result.state = v1::STEP_STATE_SUCCEEDED;
    out.result.message = absl::StrCat(
        reboot.completes_step ? "succeeded and restarted to finish ("
                              : "rebooted (",
        reboot.reason, "): boot time ", Rfc3339(reboot.boot_time_before),
        " -> ", Rfc3339(os->boot_time));
    out.result.started_at = reboot.requested_at;
    out.result.finished_at = opts_.clock->Now();
    return out;
  }
  // Not restarted (yet).
  if (reboot.phase == RebootPhase::kRequested) {
    // Stopped between journaling the request and the host accepting it:
    // ask again (asking twice is harmless).
    return Restart(std::move(reboot), progress);
  }
  const absl::Time now = opts_.clock->Now();
  const absl::Time restart_at = reboot.requested_at + reboot.delay;
  if (now < restart_at + kRebootGrace) {
    // The runner was restarted before the machine went down: keep waiting.
    RebootStep out;
    out.next = RebootStep::Next::kRebooting;
    out.delay = std::max(restart_at - now, absl::ZeroDuration());
    out.summary =
        absl::StrCat("still waiting for the restart requested at ",
                     Rfc3339(reboot.requested_at), " (", reboot.reason, ")");
    return out;
  }
  reboot.phase = RebootPhase::kDone;
  if (absl::Status s = journal_.SetReboot(reboot); !s.ok()) {
    return JournalError(s);
  }
  return Failed(
      absl::StrCat("the machine did not restart: a restart was requested at ",
                   Rfc3339(reboot.requested_at), " (", reboot.reason,
                   ") but the boot time is still ",
                   Rfc3339(reboot.boot_time_before), " after ",
                   Minutes(now - reboot.requested_at),
                   "; check what blocks the restart (an aborted shutdown, a "
                   "hung service) and retry the task"),
      nullptr);
}

RebootStep RebootResume::AfterStep(uint32_t index, const v1::PlannedStep& step,
                                   const StepResult& result,
                                   const ProgressReporter& progress) {
  if (!AsksForRestart(step, result)) return {};
  const std::optional<JournalReboot>& previous = journal_.reboot();
  const int count = previous ? previous->count : 0;
  JournalReboot reboot;
  reboot.step_index = index;
  reboot.phase = RebootPhase::kWaiting;
  reboot.count = count;
  if (RestartsByItself(step)) {
    const v1::RebootAction& a = step.action().reboot();
    reboot.reason =
        a.reason().empty() ? absl::StrCat("step ", step.name()) : a.reason();
    reboot.delay = FromProtoDuration(a.delay());
  } else {
    reboot.reason = result.message;
    reboot.delay = kPendingRebootDelay;
    reboot.completes_step = FinishesByRestart(step, result);
  }
  if (count >= kMaxRebootsPerTask) {
    if (reboot.completes_step) {
      RebootStep out;
      out.next = RebootStep::Next::kReport;
      out.result = result;
      absl::StrAppend(&out.result.message,
                      "; not restarted: this attempt "
                      "already restarted the machine ",
                      count,
                      " times, the most a task may; restart it to finish");
      return out;
    }
    if (RestartsByItself(step)) {
      return Failed(absl::StrCat("not restarted (", reboot.reason,
                                 "): this attempt already restarted the "
                                 "machine ",
                                 count, " times, the most a task may"),
                    nullptr);
    }
    return Failed(absl::StrCat(result.message, "; rebooted ", count,
                               " times; still pending reboot"),
                  &result);
  }
  return WaitForWindow(std::move(reboot), progress);
}

RebootStep RebootResume::WaitForWindow(JournalReboot reboot,
                                       const ProgressReporter& progress) {
  absl::StatusOr<std::vector<MaintenanceWindowSpec>> windows =
      ParseWindows(task_.maintenance_windows());
  if (!windows.ok()) {
    return Failed(absl::StrCat("not restarted (", reboot.reason,
                               "): the job's ", windows.status().message()),
                  nullptr);
  }
  bool journaled = false;
  while (!windows->empty()) {
    absl::StatusOr<OsInfo> os = host_.GetOsInfo();
    const int offset = os.ok() ? os->utc_offset_minutes : 0;
    const absl::Time now = opts_.clock->Now();
    std::optional<NextOpening> next =
        NextMaintenanceOpening(*windows, now, offset);
    if (next->at <= now) break;
    if (!journaled) {
      // A runner stopped while waiting resumes the wait (Resume()).
      if (absl::Status s = journal_.SetReboot(reboot); !s.ok()) {
        return JournalError(s);
      }
      journaled = true;
    }
    const std::string message = absl::StrCat(
        "waiting for the maintenance window ",
        FormatMaintenanceWindow((*windows)[next->index]), " (opens in ",
        Minutes(next->at - now), ", device time UTC", FormatUtcOffset(offset),
        ") to restart: ", reboot.reason);
    switch (progress(message)) {
      case ProgressAnswer::kOk:
        break;
      case ProgressAnswer::kCancel: {
        RebootStep out;
        out.next = RebootStep::Next::kCancelled;
        return out;
      }
      case ProgressAnswer::kStop: {
        RebootStep out;
        out.next = RebootStep::Next::kStopped;
        out.summary = "waiting for the maintenance window";
        return out;
      }
    }
    if (Sleep(std::min(next->at - now, ProgressInterval(task_)))) {
      RebootStep out;
      out.next = RebootStep::Next::kStopped;
      out.summary = "runner stopping while waiting for the maintenance window";
      return out;
    }
  }
  return Restart(std::move(reboot), progress);
}

RebootStep RebootResume::Restart(JournalReboot reboot,
                                 const ProgressReporter& progress) {
  if (reboot.phase == RebootPhase::kWaiting) {
    absl::StatusOr<OsInfo> os = host_.GetOsInfo();
    if (!os.ok()) {
      return Failed(
          absl::StrCat("not restarted (", reboot.reason,
                       "): cannot read the boot time: ", os.status().message()),
          nullptr);
    }
    reboot.boot_time_before = os->boot_time;
    reboot.count += 1;
    reboot.phase = RebootPhase::kRequested;
  }
  if (absl::Status s = journal_.SetReboot(reboot); !s.ok()) {
    return JournalError(s);
  }
  switch (progress(absl::StrCat("rebooting (", reboot.reason, ")"))) {
    case ProgressAnswer::kOk:
      break;
    case ProgressAnswer::kCancel: {
      reboot.phase = RebootPhase::kDone;
      if (absl::Status s = journal_.SetReboot(reboot); !s.ok()) {
        return JournalError(s);
      }
      RebootStep out;
      out.next = RebootStep::Next::kCancelled;
      return out;
    }
    case ProgressAnswer::kStop: {
      RebootStep out;
      out.next = RebootStep::Next::kStopped;
      out.summary = "reporting the restart";
      return out;
    }
  }
  if (absl::Status s = host_.Reboot(reboot.reason, reboot.delay); !s.ok()) {
    reboot.phase = RebootPhase::kDone;
    if (absl::Status js = journal_.SetReboot(reboot); !js.ok()) {
      return JournalError(js);
    }
    return Failed(absl::StrCat("cannot restart the machine (", reboot.reason,
                               "): ", s.message()),
                  nullptr);
  }
  reboot.phase = RebootPhase::kScheduled;
  reboot.requested_at = opts_.clock->Now();
  if (absl::Status s = journal_.SetReboot(reboot); !s.ok()) {
    return JournalError(s);
  }
  RebootStep out;
  out.next = RebootStep::Next::kRebooting;
  out.delay = reboot.delay;
  out.summary = absl::StrCat(
      "restarting the machine in ", absl::FormatDuration(reboot.delay),
      " (restart ", reboot.count, " of at most ", kMaxRebootsPerTask, "; ",
      reboot.reason, "); the task continues after the restart");
  return out;
}

}  // namespace mdefleet::runner

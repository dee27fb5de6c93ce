// Restarts during a task: a reboot step (RebootAction), or a program exit
// code the plan lists in RunProcessAction.reboot_exit_codes (Install.ps1 12,
// pending reboot: "restart, then run this step again").
//
// Before asking the host to restart, the runner waits for one of the task's
// maintenance windows (device local time), journals the request (step, boot
// time before, count), reports the step RUNNING "rebooting (reason)" and
// returns TaskEnd::kRebooting. The runner started after the restart finds
// the journal and, once the boot time really changed, reports the reboot
// step SUCCEEDED or runs the asking step again; if the boot time did not
// change within the restart delay plus kRebootGrace, the step FAILS. A task
// attempt restarts the machine at most kMaxRebootsPerTask times.
//
// The task runner calls Resume() before a step and AfterStep() once it ran;
// each is one call that may wait (for a window), so heartbeats around it
// keep the lease alive.
#ifndef MDEFLEET_RUNNER_CLIENT_REBOOT_RESUME_H_
#define MDEFLEET_RUNNER_CLIENT_REBOOT_RESUME_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/runner.pb.h"
#include "runner/client/task_runner.h"
#include "runner/executor/step_executor.h"
#include "runner/host/host.h"
#include "runner/journal/journal.h"

namespace mdefleet::runner {

// Restarts one task attempt may ask for; one more fails the step ("rebooted
// 3 times; still pending reboot").
inline constexpr int kMaxRebootsPerTask = 3;
// How long after the restart delay the machine may take to go down before
// the restart counts as not done.
inline constexpr absl::Duration kRebootGrace = absl::Minutes(15);
// Restart delay for a program exit code that asks for a restart (a reboot
// step gives its own): time to report "rebooting" first.
inline constexpr absl::Duration kPendingRebootDelay = absl::Seconds(30);
// Boot times that differ by no more than this are the same boot (Windows
// derives it from the uptime, to the second).
inline constexpr absl::Duration kBootTimeTolerance = absl::Seconds(2);

// Whether `step`'s action is itself a restart (RebootAction): the executor
// does not run it, RebootResume does.
bool RestartsByItself(const v1::PlannedStep& step);

// Whether `result` is an exit code of the step's restart_after_exit_codes:
// the step succeeded and a restart finishes it (it is not run again).
bool FinishesByRestart(const v1::PlannedStep& step, const StepResult& result);

// A RUNNING report of the current step with a progress message.
enum class ProgressAnswer {
  kOk,      // acknowledged
  kCancel,  // acknowledged, and the job was cancelled
  kStop,    // not acknowledged (lease lost, server unreachable, refused)
};
using ProgressReporter =
    std::function<ProgressAnswer(absl::string_view message)>;

// What the task runner does next with a step.
struct RebootStep {
  enum class Next {
    kNormal,     // nothing restart-related: go on as usual
    kRunAgain,   // the machine restarted as the step asked: run it again
    kReport,     // report `result` as the step's final result
    kRebooting,  // the restart is requested: end with TaskEnd::kRebooting
    kCancelled,  // the job was cancelled before the restart: stop, not run
    kStopped,    // a progress report failed or the runner is stopping
  };
  Next next = Next::kNormal;
  StepResult result;                            // kReport
  absl::Duration delay = absl::ZeroDuration();  // kRebooting
  std::string summary;                          // kRebooting, kStopped
};

class RebootResume {
 public:
  // All references must outlive this object.
  RebootResume(Host& host, TaskJournal& journal, const v1::LeasedTask& task,
               const TaskRunnerOptions& options)
      : host_(host), journal_(journal), task_(task), opts_(options) {}

  // Before step `index` runs: what the journal says about a restart it asked
  // for. May wait for a maintenance window and restart (a runner stopped
  // while waiting resumes the wait).
  RebootStep Resume(uint32_t index, const v1::PlannedStep& step,
                    const ProgressReporter& progress);

  // After step `index` ran (reported RUNNING) with `result`, or in place of
  // running it when RestartsByItself(step): when the step asks for a
  // restart, waits for a maintenance window, journals and restarts.
  RebootStep AfterStep(uint32_t index, const v1::PlannedStep& step,
                       const StepResult& result,
                       const ProgressReporter& progress);

 private:
  RebootStep WaitForWindow(JournalReboot reboot,
                           const ProgressReporter& progress);
  RebootStep Restart(JournalReboot reboot, const ProgressReporter& progress);
  // Sleeps `d` or until the runner stops; true when stopped.
  bool Sleep(absl::Duration d);
  RebootStep Failed(const std::string& message, const StepResult* base);
  RebootStep JournalError(const absl::Status& s);

  Host& host_;
  TaskJournal& journal_;
  const v1::LeasedTask& task_;
  const TaskRunnerOptions& opts_;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_REBOOT_RESUME_H_

// The runner's local journal: per task attempt, what happened to each step,
// kept in the state directory (through Host files, replaced atomically on
// every change) so a runner that crashes or reboots mid-task resumes at the
// right step and never runs a step twice unless the plan says it may:
//   started       the step was about to run (it may or may not have run)
//   executed      it ran; its final report is recorded but not acknowledged
//   acknowledged  the server has the final report
// and, per task attempt, the restart a step asked for (see JournalReboot), so
// that the runner started after the restart knows where it was and can check
// that the machine really restarted.
#ifndef MDEFLEET_RUNNER_JOURNAL_JOURNAL_H_
#define MDEFLEET_RUNNER_JOURNAL_JOURNAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/runner.pb.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

enum class StepPhase { kStarted, kExecuted, kAcknowledged };

struct JournalEntry {
  StepPhase phase = StepPhase::kStarted;
  // The final report (state, exit code, message, tail, times, task_state,
  // lease id: a buffered result can be delivered later, see
  // stale_journals.h); for kStarted the RUNNING report. Never holds facts.
  v1::ReportStepRequest report;
};

// Where a restart asked for by step `step_index` stands.
enum class RebootPhase {
  kWaiting,    // waiting for a maintenance window; nothing requested yet
  kRequested,  // about to ask the host to restart (it may or may not have)
  kScheduled,  // the host accepted the restart at requested_at
  kDone,       // over: the machine restarted, or the step ended without it
};

// The latest restart of a task attempt. `count` counts the restarts this
// attempt asked for (this one included, once requested), so it survives
// into later restarts and bounds them.
struct JournalReboot {
  uint32_t step_index = 0;
  RebootPhase phase = RebootPhase::kWaiting;
  absl::Time boot_time_before = absl::InfinitePast();  // boot time at request
  absl::Time requested_at = absl::InfinitePast();      // kScheduled
  absl::Duration delay = absl::ZeroDuration();         // restart delay
  int count = 0;
  std::string reason;  // "Install.ps1 exit 12: pending reboot: ..."
  // The step succeeded and the restart finishes it (msiexec 3010 on
  // uninstall): after the restart it is reported, not run again.
  bool completes_step = false;
};

class TaskJournal {
 public:
  // Opens (loading what an earlier run recorded) the journal of `task_id`,
  // `attempt` under <state dir>\journal. DataLoss for a corrupt file.
  [[nodiscard]] static absl::StatusOr<TaskJournal> Open(
      Host& host, absl::string_view task_id, uint32_t attempt);

  // The entry of step `index`, if any.
  std::optional<JournalEntry> Get(uint32_t index) const;
  // Whether any step has an entry (the task was begun before).
  bool empty() const { return entries_.empty(); }
  // Every entry by step index.
  const std::map<uint32_t, JournalEntry>& entries() const { return entries_; }

  // Records and persists a phase change before the runner acts on it.
  [[nodiscard]] absl::Status MarkStarted(uint32_t index,
                                         const v1::ReportStepRequest& running);
  [[nodiscard]] absl::Status MarkExecuted(uint32_t index,
                                          const v1::ReportStepRequest& final);
  [[nodiscard]] absl::Status MarkAcknowledged(uint32_t index);

  // The attempt's latest restart, if a step asked for one.
  const std::optional<JournalReboot>& reboot() const { return reboot_; }
  // Records and persists `reboot` (replacing the previous one) before the
  // runner acts on it.
  [[nodiscard]] absl::Status SetReboot(const JournalReboot& reboot);

  // Deletes the journal file (the task is over).
  [[nodiscard]] absl::Status Remove();

  const std::string& path() const { return path_; }

 private:
  TaskJournal(Host& host, std::string path, std::string task_id,
              uint32_t attempt)
      : host_(&host),
        path_(std::move(path)),
        task_id_(std::move(task_id)),
        attempt_(attempt) {}
  [[nodiscard]] absl::Status Save();

  Host* host_;
  std::string path_;
  std::string task_id_;
  uint32_t attempt_;
  std::map<uint32_t, JournalEntry> entries_;
  std::optional<JournalReboot> reboot_;
};

// Path of the journal directory (<state dir>\journal).
std::string JournalDirectory(const Host& host);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_JOURNAL_JOURNAL_H_

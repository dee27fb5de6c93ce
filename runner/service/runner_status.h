// The runner service's status file (<state directory>\status): what
// `mdefleet-runner.exe status` prints without asking the service — the
// device id, the last contact with the server, the task being run and the
// last failure. Written by RunnerStatusFile (a RunnerObserver) through the
// Host, atomically; "Name = value" lines. Holds no secret.
//
// The same observer forwards the few events an administrator should see in
// the Application event log (enrolled, first failure of a streak, contact
// restored) to a callback, so a server that is down does not write an
// event per retry.
//
// Platform-neutral: tested on Linux against SimulatedHost.
#ifndef MDEFLEET_RUNNER_SERVICE_RUNNER_STATUS_H_
#define MDEFLEET_RUNNER_SERVICE_RUNNER_STATUS_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "runner/client/runner_observer.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

struct RunnerStatus {
  std::string server_address;
  std::string device_id;  // "" until enrolled
  std::optional<absl::Time> last_contact;
  std::string current_task;  // "" when idle
  std::string current_task_kind;
  std::string last_error;  // the last failure, "" when none since the start
  std::optional<absl::Time> last_error_time;
  std::optional<absl::Time> updated;
};

// <state directory>\status
std::string RunnerStatusPath(absl::string_view state_directory);

// The file's content for `status`, and back. Parse errors name the line.
std::string FormatRunnerStatusFile(const RunnerStatus& status);
[[nodiscard]] absl::StatusOr<RunnerStatus> ParseRunnerStatusFile(
    absl::string_view content);

// Reads the status file of `state_directory`: nullopt when the runner has
// not written one yet.
[[nodiscard]] absl::StatusOr<std::optional<RunnerStatus>> ReadRunnerStatus(
    Host& host, absl::string_view state_directory);

// What an administrator sees in the Application event log.
enum class RunnerEventSeverity { kInformation, kWarning, kError };
using RunnerEventSink =
    std::function<void(RunnerEventSeverity, const std::string&)>;

class RunnerStatusFile : public RunnerObserver {
 public:
  // Writes to RunnerStatusPath(host.StateDirectory()); `events` may be empty.
  RunnerStatusFile(Host& host, std::string server_address,
                   RunnerEventSink events, Clock* clock = Clock::Real());

  void Enrolled(absl::string_view device_id, bool newly) override;
  void Contacted(absl::Time when) override;
  void WorkingOn(absl::string_view task_id, absl::string_view kind) override;
  void Failed(absl::string_view message) override;

  RunnerStatus Snapshot() const;

 private:
  // Writes the file; a failure is reported once through `events_`.
  void Write() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Event(RunnerEventSeverity severity, const std::string& message);

  Host& host_;
  const RunnerEventSink events_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  RunnerStatus status_ ABSL_GUARDED_BY(mu_);
  bool failing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
};

// The text `mdefleet-runner.exe status` prints: the configured server and
// where the configuration came from, whether the service runs, and the
// status file (or that there is none yet).
std::string DescribeRunnerStatus(absl::string_view configuration,
                                 absl::string_view service_state,
                                 const std::optional<RunnerStatus>& status,
                                 absl::Time now);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_SERVICE_RUNNER_STATUS_H_

// What a RunnerAgent tells the program around it about its life: enrolled,
// in contact with the server, working on a task, failing. The Windows
// service turns these into its status file and Application event log
// entries; the simulator ignores them. Called from the agent's thread;
// implementations must be quick and must not call back into the agent.
#ifndef MDEFLEET_RUNNER_CLIENT_RUNNER_OBSERVER_H_
#define MDEFLEET_RUNNER_CLIENT_RUNNER_OBSERVER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mdefleet::runner {

class RunnerObserver {
 public:
  virtual ~RunnerObserver() = default;

  // The runner has an identity: `newly` when this start enrolled it.
  virtual void Enrolled(absl::string_view device_id, bool newly) = 0;
  // A call to the server succeeded at `when`.
  virtual void Contacted(absl::Time when) = 0;
  // A task was leased and is being run ("" task_id: none any more).
  virtual void WorkingOn(absl::string_view task_id, absl::string_view kind) = 0;
  // The server could not be reached or refused the runner; `message` says
  // why (never holds a secret). Called on every failed attempt.
  virtual void Failed(absl::string_view message) = 0;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_RUNNER_OBSERVER_H_

// Keeps a task's lease alive while one step runs: a thread sends
// RunnerService.Heartbeat every `interval` until the step is over, so a
// 20-minute MSI install is never taken for a dead runner. A lost lease is
// remembered for the log; the step's final report is then refused and the
// task abandoned. A running program is not interrupted.
#ifndef MDEFLEET_RUNNER_CLIENT_LEASE_KEEPER_H_
#define MDEFLEET_RUNNER_CLIENT_LEASE_KEEPER_H_

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "mdefleet/v1/runner.pb.h"
#include "runner/client/task_runner.h"

namespace mdefleet::runner {

// The heartbeat period for a lease of `lease_duration`: a quarter of it, so
// two lost heartbeats in a row still leave the lease alive; at least 100 ms
// (unset: a quarter of the server's default 10 minutes).
absl::Duration HeartbeatInterval(absl::Duration lease_duration);

class LeaseKeeper {
 public:
  // Starts heartbeating step `step_index` of the task under `lease_id`.
  LeaseKeeper(StepReporter& reporter, const v1::LeasedTask& task,
              uint32_t step_index, absl::Duration interval);
  // Stops and joins the thread.
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Heartbeats sent and acknowledged so far.
  int acknowledged() const;
  // Set once a heartbeat was refused with FAILED_PRECONDITION (the message).
  std::string lease_lost() const;

 private:
  void Loop();

  StepReporter& reporter_;
  v1::HeartbeatRequest request_;
  const absl::Duration interval_;
  absl::Notification done_;
  mutable absl::Mutex mu_;
  int acknowledged_ ABSL_GUARDED_BY(mu_) = 0;
  std::string lease_lost_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_LEASE_KEEPER_H_

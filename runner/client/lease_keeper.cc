#include "runner/client/lease_keeper.h"

#include <algorithm>

namespace mdefleet::runner {

absl::Duration HeartbeatInterval(absl::Duration lease_duration) {
  // A task without a lease duration: the server's default lease.
  if (lease_duration <= absl::ZeroDuration()) return absl::Minutes(10) / 4;
  return std::max(lease_duration / 4, absl::Milliseconds(100));
}

LeaseKeeper::LeaseKeeper(StepReporter& reporter, const v1::LeasedTask& task,
                         uint32_t step_index, absl::Duration interval)
    : reporter_(reporter), interval_(interval) {
  request_.set_task_id(task.task_id());
  request_.set_attempt(task.attempt());
  request_.set_lease_id(task.lease_id());
  request_.set_step_index(step_index);
  thread_ = std::thread([this] { Loop(); });
}

LeaseKeeper::~LeaseKeeper() {
  done_.Notify();
  thread_.join();
}

void LeaseKeeper::Loop() {
  while (!done_.WaitForNotificationWithTimeout(interval_)) {
    absl::StatusOr<v1::HeartbeatResponse> response =
        reporter_.Heartbeat(request_);
    absl::MutexLock lock(&mu_);
    if (response.ok()) {
      ++acknowledged_;
    } else if (absl::IsFailedPrecondition(response.status())) {
      // Nothing more to keep; the step's final report will be refused too.
      lease_lost_ = std::string(response.status().message());
      return;
    }
    // Transient errors: the next heartbeat (or report) tries again.
  }
}

int LeaseKeeper::acknowledged() const {
  absl::MutexLock lock(&mu_);
  return acknowledged_;
}

std::string LeaseKeeper::lease_lost() const {
  absl::MutexLock lock(&mu_);
  return lease_lost_;
}

}  // namespace mdefleet::runner

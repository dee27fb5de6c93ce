#include "runner/service/service_lifecycle.h"

#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mdefleet::runner {

uint32_t ServiceExitCode(const absl::Status& status) {
  return static_cast<uint32_t>(status.code());
}

ServiceLifecycle::ServiceLifecycle(ServiceBody& body, Reporter reporter,
                                   ServiceLifecycleOptions options)
    : body_(body),
      reporter_(std::move(reporter)),
      options_(std::move(options)) {}

void ServiceLifecycle::Log(absl::string_view line) const {
  if (options_.log) options_.log(line);
}

void ServiceLifecycle::ReportLocked(absl::Duration wait_hint,
                                    absl::Status exit_status) {
  ServiceStatusReport report;
  report.state = state_;
  const bool pending = state_ == v1::SERVICE_STATE_START_PENDING ||
                       state_ == v1::SERVICE_STATE_STOP_PENDING;
  report.checkpoint = pending ? checkpoint_ : 0;
  report.wait_hint = pending ? wait_hint : absl::ZeroDuration();
  report.accepts_stop = state_ == v1::SERVICE_STATE_RUNNING;
  report.exit_status = std::move(exit_status);
  reporter_(report);
}

v1::ServiceState ServiceLifecycle::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

void ServiceLifecycle::RequestStop(absl::string_view reason) {
  {
    absl::MutexLock lock(&mu_);
    if (stop_requested_ || state_ == v1::SERVICE_STATE_STOPPED) return;
    stop_requested_ = true;
    Log(absl::StrCat(reason, "; stopping"));
    if (state_ == v1::SERVICE_STATE_RUNNING) {
      state_ = v1::SERVICE_STATE_STOP_PENDING;
      checkpoint_ = 1;
      ReportLocked(options_.stop_wait_hint);
    }
  }
  // Outside the lock: stop callbacks run here and may take locks of their own.
  stop_source_.request_stop();
}

absl::Status ServiceLifecycle::Execute() {
  {
    absl::MutexLock lock(&mu_);
    if (executed_) {
      return absl::FailedPreconditionError(
          "ServiceLifecycle::Execute called twice");
    }
    executed_ = true;
    state_ = v1::SERVICE_STATE_START_PENDING;
    checkpoint_ = 1;
    ReportLocked(options_.start_wait_hint);
  }

  bool done = false;
  absl::Status result;
  std::thread worker([this, &done, &result] {
    absl::Status status = body_.Prepare();
    bool run = false;
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      if (!stop_requested_) {
        state_ = v1::SERVICE_STATE_RUNNING;
        checkpoint_ = 0;
        ReportLocked(absl::ZeroDuration());
        Log("running");
        run = true;
      }
    } else {
      Log(absl::StrCat("cannot start: ", status.message()));
    }
    if (run) status = body_.Run(stop_source_.get_token());
    absl::MutexLock lock(&mu_);
    result = std::move(status);
    done = true;
  });

  {
    absl::MutexLock lock(&mu_);
    while (!mu_.AwaitWithTimeout(absl::Condition(&done),
                                 options_.pending_interval)) {
      if (state_ == v1::SERVICE_STATE_START_PENDING) {
        ++checkpoint_;
        ReportLocked(options_.start_wait_hint);
      } else if (state_ == v1::SERVICE_STATE_STOP_PENDING) {
        ++checkpoint_;
        ReportLocked(options_.stop_wait_hint);
      }
    }
  }
  worker.join();

  absl::MutexLock lock(&mu_);
  const bool was_stopping = stop_requested_;
  state_ = v1::SERVICE_STATE_STOPPED;
  checkpoint_ = 0;
  if (result.ok()) {
    Log(was_stopping ? "stopped" : "stopped on its own");
  } else {
    Log(absl::StrCat("stopped with an error (exit code ",
                     ServiceExitCode(result), "): ", result.message()));
  }
  ReportLocked(absl::ZeroDuration(), result);
  return result;
}

}  // namespace mdefleet::runner

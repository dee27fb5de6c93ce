// The state machine of a service, apart from the Win32 calls: it drives a
// ServiceBody and tells a reporter which state to announce.
//
//   START_PENDING --Prepare ok--> RUNNING --stop/shutdown--> STOP_PENDING
//        |                           |                            |
//        +--Prepare failed--+        +--Run returned--+           |
//                           v                         v           v
//                        STOPPED (exit status = Prepare's or Run's status)
//
// While a pending state lasts, the reporter is called again every
// `pending_interval` with a higher checkpoint, so the service control manager
// sees progress (a step can take minutes to finish before the runner stops).
// The Win32 glue maps each report to SetServiceStatus; console mode logs it.
// Platform-neutral, so it is tested on Linux too.
#ifndef MDEFLEET_RUNNER_SERVICE_SERVICE_LIFECYCLE_H_
#define MDEFLEET_RUNNER_SERVICE_SERVICE_LIFECYCLE_H_

#include <cstdint>
#include <functional>
#include <stop_token>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mdefleet/v1/types.pb.h"
#include "runner/service/service_body.h"

namespace mdefleet::runner {

// One status announcement.
struct ServiceStatusReport {
  // START_PENDING, RUNNING, STOP_PENDING or STOPPED.
  v1::ServiceState state = v1::SERVICE_STATE_START_PENDING;
  // Grows during a pending state; 0 otherwise.
  uint32_t checkpoint = 0;
  // How long until the next report or the end of the pending state.
  absl::Duration wait_hint = absl::ZeroDuration();
  // Whether stop and shutdown requests are accepted (only while RUNNING).
  bool accepts_stop = false;
  // The final status, for kStopped.
  absl::Status exit_status;
};

// The service-specific exit code for a final status: 0 for OK, else the
// absl::StatusCode number (e.g. 3 for InvalidArgument: bad configuration).
uint32_t ServiceExitCode(const absl::Status& status);

struct ServiceLifecycleOptions {
  // Wait hints announced with START_PENDING and STOP_PENDING.
  absl::Duration start_wait_hint = absl::Seconds(60);
  absl::Duration stop_wait_hint = absl::Seconds(30);
  // How often a pending state is re-announced with a higher checkpoint.
  absl::Duration pending_interval = absl::Seconds(5);
  // Receives one line per transition; may be empty. Never given secrets.
  std::function<void(absl::string_view)> log;
};

class ServiceLifecycle {
 public:
  using Reporter = std::function<void(const ServiceStatusReport&)>;

  // `body` and `reporter` must outlive the lifecycle. Reports are made one at
  // a time, in order.
  ServiceLifecycle(ServiceBody& body, Reporter reporter,
                   ServiceLifecycleOptions options = {});
  ServiceLifecycle(const ServiceLifecycle&) = delete;
  ServiceLifecycle& operator=(const ServiceLifecycle&) = delete;

  // Reports START_PENDING, prepares the body, reports RUNNING, runs the body
  // (on a worker thread) until it returns, and reports STOPPED. Returns the
  // final status (Prepare's error, or Run's result). Call once.
  [[nodiscard]] absl::Status Execute();

  // Asks the body to stop: reports STOP_PENDING when RUNNING and triggers
  // the body's stop token. Thread-safe and idempotent; a stop requested
  // during START_PENDING skips Run. `reason` is logged ("stop requested by
  // the service control manager").
  void RequestStop(absl::string_view reason);

  // The last announced state.
  v1::ServiceState state() const;

 private:
  void ReportLocked(absl::Duration wait_hint, absl::Status exit_status = {})
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Log(absl::string_view line) const;

  ServiceBody& body_;
  const Reporter reporter_;
  const ServiceLifecycleOptions options_;
  std::stop_source stop_source_;
  mutable absl::Mutex mu_;
  v1::ServiceState state_ ABSL_GUARDED_BY(mu_) =
      v1::SERVICE_STATE_START_PENDING;
  uint32_t checkpoint_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool executed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_SERVICE_SERVICE_LIFECYCLE_H_

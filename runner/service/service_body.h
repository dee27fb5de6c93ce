// What a service runs, apart from how it is hosted. The Windows service glue
// (runner/service/windows/) and the console mode drive a ServiceBody through
// ServiceLifecycle; the real binary fills it with RunnerAgent + WindowsHost,
// tests with fakes. Platform-neutral.
#ifndef MDEFLEET_RUNNER_SERVICE_SERVICE_BODY_H_
#define MDEFLEET_RUNNER_SERVICE_SERVICE_BODY_H_

#include <stop_token>

#include "absl/status/status.h"

namespace mdefleet::runner {

class ServiceBody {
 public:
  virtual ~ServiceBody() = default;

  // Gets ready to run (loads the configuration, opens the host, the log),
  // while the service reports START_PENDING. Called once, before Run. An
  // error means nothing runs: the service stops with that error.
  [[nodiscard]] virtual absl::Status Prepare() = 0;

  // Does the work until `stop` is requested (possibly already requested when
  // Run is called), then returns promptly. Called at most once, after a
  // successful Prepare, on a thread other than the one requesting the stop.
  // OK is a clean stop; an error means the service failed (on Windows the
  // service control manager's failure actions then apply). To wait for the
  // stop, use a std::stop_callback (e.g. notifying an absl::Notification):
  // condition_variable_any::wait(lock, stop_token, pred) of mingw-w64's
  // libstdc++ sometimes never wakes (seen under Wine).
  [[nodiscard]] virtual absl::Status Run(std::stop_token stop) = 0;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_SERVICE_SERVICE_BODY_H_

// The real runner as a ServiceBody: RunnerAgent on WindowsHost, configured
// from Group Policy or runner.conf, talking gRPC over TLS to the pinned
// server. Win32 only.
//
// The service keeps running while it cannot work yet — no configuration
// (Group Policy may not have applied), a configuration that is wrong, an
// enrollment secret the server refuses — and tries again with backoff
// (30 s doubling to 10 min, re-reading the configuration each time), logging
// one line that names the setting and what to do. A service that stopped
// instead would make an MSI installed before its GPO roll back.
#ifndef MDEFLEET_RUNNER_SERVICE_WINDOWS_RUNNER_SERVICE_BODY_H_
#define MDEFLEET_RUNNER_SERVICE_WINDOWS_RUNNER_SERVICE_BODY_H_

#include <memory>
#include <stop_token>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "runner/service/runner_config.h"
#include "runner/service/service_body.h"
#include "runner/service/windows/service_log.h"

namespace mdefleet::runner {

class RunnerServiceBody : public ServiceBody {
 public:
  // `events` (may be null) receives enrollment, failures and warnings;
  // `service_mode`: log to the log file (a service has no console).
  RunnerServiceBody(RunnerConfigSources sources, bool service_mode,
                    service_win::EventLogWriter* events);
  ~RunnerServiceBody() override;

  [[nodiscard]] absl::Status Prepare() override;
  [[nodiscard]] absl::Status Run(std::stop_token stop) override;

 private:
  // Loads the configuration and runs the agent until it stops or fails.
  [[nodiscard]] absl::Status RunOnce();
  // Logs to the log file of `state_directory` from now on.
  void UseLogFileIn(const std::string& state_directory);
  void Event(service_win::EventLogWriter::Severity severity,
             const std::string& message);

  const RunnerConfigSources sources_;
  const bool service_mode_;
  service_win::EventLogWriter* const events_;
  absl::Notification stop_;
  absl::Mutex mu_;
  class Attempt;
  Attempt* attempt_ ABSL_GUARDED_BY(mu_) = nullptr;  // the one running
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_SERVICE_WINDOWS_RUNNER_SERVICE_BODY_H_

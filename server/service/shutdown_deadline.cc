#include "server/service/shutdown_deadline.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/service/log.h"

namespace mdefleet::service {

ShutdownDeadline::ShutdownDeadline(absl::Duration grace, Expiry on_expiry) {
  thread_ = std::thread([this, grace, on_expiry = std::move(on_expiry)] {
    bool disarmed;
    {
      absl::MutexLock lock(&mu_);
      disarmed = mu_.AwaitWithTimeout(absl::Condition(&disarmed_), grace);
    }
    if (!disarmed) on_expiry(grace);
  });
}

ShutdownDeadline::~ShutdownDeadline() {
  Disarm();
  thread_.join();
}

void ShutdownDeadline::Disarm() {
  absl::MutexLock lock(&mu_);
  disarmed_ = true;
}

ShutdownDeadline::Expiry ExitProcessOnExpiry(int exit_code) {
  return [exit_code](absl::Duration grace) {
    LogEvent(absl::StrCat(
        "shutdown did not finish in ", absl::FormatDuration(grace),
        " (a call still running): exiting now; an unfinished write is rolled "
        "back when the database next opens"));
    std::_Exit(exit_code);
  };
}

}  // namespace mdefleet::service

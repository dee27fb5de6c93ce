// A stop that ends. Serve's shutdown waits for the calls in flight, and a
// handler that does not look at its cancellation (a 100,000-task SubmitJob
// runs for a minute) kept a stopped server running, at full CPU, for twenty
// minutes. A ShutdownDeadline armed when the stop begins runs its expiry
// (serve: log and exit at once) unless the stop finished first; SQLite rolls
// back the transaction the exit interrupted when the database next opens.
#ifndef MDEFLEET_SERVER_SERVICE_SHUTDOWN_DEADLINE_H_
#define MDEFLEET_SERVER_SERVICE_SHUTDOWN_DEADLINE_H_

#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mdefleet::service {

class ShutdownDeadline {
 public:
  // Runs `on_expiry(grace)` on a thread of its own once `grace` has passed,
  // unless Disarm() or the destructor came first.
  using Expiry = std::function<void(absl::Duration grace)>;
  ShutdownDeadline(absl::Duration grace, Expiry on_expiry);
  ~ShutdownDeadline();  // disarms and waits for the thread

  ShutdownDeadline(const ShutdownDeadline&) = delete;
  ShutdownDeadline& operator=(const ShutdownDeadline&) = delete;

  void Disarm();

 private:
  absl::Mutex mu_;
  bool disarmed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Serve's expiry: logs that the stop did not finish within its grace and
// ends the process with `exit_code` without running destructors (they would
// wait for the same call).
ShutdownDeadline::Expiry ExitProcessOnExpiry(int exit_code);

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_SHUTDOWN_DEADLINE_H_

// The thread both Defender workers (api_offboard, onboard's confirmation)
// run on: calls a pass, sleeps until the time it returned (at most `tick`,
// at least 10 ms) or a Wake, and logs a failed pass and retries it in 5 s.
#ifndef MDEFLEET_SERVER_DEFENDER_WORKER_THREAD_H_
#define MDEFLEET_SERVER_DEFENDER_WORKER_THREAD_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mdefleet::defender {

class WorkerThread {
 public:
  WorkerThread() = default;
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;
  ~WorkerThread() { Stop(); }

  // Runs `pass` until Stop; `name` prefixes the log line of a failed pass.
  void Start(std::string name, const Clock& clock, absl::Duration tick,
             std::function<absl::StatusOr<absl::Time>()> pass);
  // Joins the thread; the pass in progress finishes first.
  void Stop();
  // Makes the thread run its next pass now.
  void Wake();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_WORKER_THREAD_H_

#include "server/defender/worker_thread.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/service/log.h"

namespace mdefleet::defender {

void WorkerThread::Start(std::string name, const Clock& clock,
                         absl::Duration tick,
                         std::function<absl::StatusOr<absl::Time>()> pass) {
  thread_ = std::thread(
      [this, name = std::move(name), &clock, tick, pass = std::move(pass)] {
        std::unique_lock<std::mutex> lock(mu_);
        while (!stop_) {
          lock.unlock();
          absl::StatusOr<absl::Time> next = pass();
          if (!next.ok()) {
            LogEvent(absl::StrCat(name, ": ", next.status().message(),
                                  " (retrying in 5s)"));
            next = clock.Now() + absl::Seconds(5);
          }
          lock.lock();
          if (stop_) break;
          const absl::Duration wait =
              std::clamp(*next - clock.Now(), absl::Milliseconds(10), tick);
          cv_.wait_for(lock, absl::ToChronoMilliseconds(wait),
                       [this] { return stop_ || woken_; });
          woken_ = false;
        }
      });
}

void WorkerThread::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WorkerThread::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

}  // namespace mdefleet::defender

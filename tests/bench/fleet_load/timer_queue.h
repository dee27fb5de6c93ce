// Runs callbacks at a later time on one thread of its own: the load
// generator's retries and delays, which must not block gRPC's callback
// threads.
#ifndef MDEFLEET_TESTS_BENCH_FLEET_LOAD_TIMER_QUEUE_H_
#define MDEFLEET_TESTS_BENCH_FLEET_LOAD_TIMER_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mdefleet::bench {

class TimerQueue {
 public:
  TimerQueue();
  // Runs nothing more: pending callbacks are dropped.
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `fn` on the queue's thread once `delay` has passed.
  void After(absl::Duration delay, std::function<void()> fn);

 private:
  void Loop();

  absl::Mutex mu_;
  // Keyed by due time, then by arrival, so equal times keep their order.
  std::map<std::pair<absl::Time, uint64_t>, std::function<void()>> due_
      ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar wake_;
  std::thread thread_;
};

}  // namespace mdefleet::bench

#endif  // MDEFLEET_TESTS_BENCH_FLEET_LOAD_TIMER_QUEUE_H_

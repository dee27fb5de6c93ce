#include "tests/bench/fleet_load/timer_queue.h"

namespace mdefleet::bench {

TimerQueue::TimerQueue() : thread_([this] { Loop(); }) {}

TimerQueue::~TimerQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_.Signal();
  }
  thread_.join();
}

void TimerQueue::After(absl::Duration delay, std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  const absl::Time when = absl::Now() + delay;
  // An earlier time than the loop sleeps towards: wake it to sleep less.
  if (due_.empty() || when < due_.begin()->first.first) wake_.Signal();
  due_.emplace(std::make_pair(when, sequence_++), std::move(fn));
}

void TimerQueue::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (due_.empty()) {
      wake_.Wait(&mu_);
      continue;
    }
    auto first = due_.begin();
    if (absl::Now() < first->first.first) {
      wake_.WaitWithDeadline(&mu_, first->first.first);
      continue;
    }
    std::function<void()> fn = std::move(first->second);
    due_.erase(first);
    mu_.Unlock();
    fn();
    mu_.Lock();
  }
}

}  // namespace mdefleet::bench

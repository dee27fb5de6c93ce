// A settable clock for runner tests (Linux and Windows builds alike).
#ifndef MDEFLEET_TESTS_RUNNER_FAKE_CLOCK_H_
#define MDEFLEET_TESTS_RUNNER_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mdefleet::runner::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

}  // namespace mdefleet::runner::testing

#endif  // MDEFLEET_TESTS_RUNNER_FAKE_CLOCK_H_

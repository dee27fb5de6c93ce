// A Clock that stands still until the test moves it, so leases, deadlines,
// backoff and expiry are tested without waiting for real time to pass.
#ifndef MDEFLEET_TESTS_TESTING_FAKE_CLOCK_H_
#define MDEFLEET_TESTS_TESTING_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mdefleet::testing {

// Thread-safe: the code under test reads it from its own threads while the
// test advances it.
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
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_TESTING_FAKE_CLOCK_H_

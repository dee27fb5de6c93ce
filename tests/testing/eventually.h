// Waiting in tests for a state another thread or process reaches, instead of
// sleeping a fixed time and hoping it got there: a loaded CI machine only
// makes the wait longer, never the test wrong.
#ifndef MDEFLEET_TESTS_TESTING_EVENTUALLY_H_
#define MDEFLEET_TESTS_TESTING_EVENTUALLY_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mdefleet::testing {

// True once `done()` holds (checked every millisecond), false when `timeout`
// passed first.
inline bool Eventually(const std::function<bool()>& done,
                       absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_TESTING_EVENTUALLY_H_

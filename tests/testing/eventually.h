// Waiting in tests for a state another thread or process reaches, instead of
// sleeping a fixed time and hoping it got there: a loaded CI machine only
// makes the wait longer, never the test wrong.
#ifndef MDEFLEET_TESTS_TESTING_EVENTUALLY_H_
#define MDEFLEET_TESTS_TESTING_EVENTUALLY_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mdefleet::testing {

// True once `done()` holds, false when `timeout` passed first (`done()` is
// asked after the last pause too). Asked every `interval`: the default suits an
// in-process check; one that starts a program or reads a log (the end-to-end
// tests) wants a longer one. The result must be checked: a wait that timed out
// is the failure the test is there to find.
[[nodiscard]] inline bool Eventually(
    const std::function<bool()>& done,
    absl::Duration timeout = absl::Seconds(30),
    absl::Duration interval = absl::Milliseconds(1)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(interval);
  }
  return true;
}

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_TESTING_EVENTUALLY_H_

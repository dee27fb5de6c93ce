// Injected time source: leases, deadlines and expiry read a Clock so tests can
// use a fake one.
#ifndef MDEFLEET_COMMON_CLOCK_H_
#define MDEFLEET_COMMON_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mdefleet {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // The process-wide wall clock. Never null, never deleted.
  static Clock* Real();
};

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_CLOCK_H_

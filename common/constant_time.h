// Comparison of secrets (or their hashes) whose time does not depend on where
// the first difference is.
#ifndef MDEFLEET_COMMON_CONSTANT_TIME_H_
#define MDEFLEET_COMMON_CONSTANT_TIME_H_

#include "absl/strings/string_view.h"

namespace mdefleet {

// True when a and b are equal. Takes time depending only on the lengths.
inline bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_CONSTANT_TIME_H_

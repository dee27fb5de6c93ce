// Comparison of secrets (or their hashes) whose time does not depend on where
// the first difference is: OpenSSL's CRYPTO_memcmp, which is written so that
// compilers do not turn it back into an early-exit loop.
#ifndef MDEFLEET_SERVER_AUTH_CONSTANT_TIME_H_
#define MDEFLEET_SERVER_AUTH_CONSTANT_TIME_H_

#include "absl/strings/string_view.h"

namespace mdefleet {

// True when a and b are equal. Takes time depending only on the lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace mdefleet

#endif  // MDEFLEET_SERVER_AUTH_CONSTANT_TIME_H_

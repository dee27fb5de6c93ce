// Cryptographically random tokens and ids.
#ifndef MDEFLEET_COMMON_RANDOM_H_
#define MDEFLEET_COMMON_RANDOM_H_

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"

namespace mdefleet {

// `prefix` followed by `bytes` random bytes in base64url (no padding), e.g.
// RandomToken("mdf_admin_", 32). Uses the OS CSPRNG.
std::string RandomToken(absl::string_view prefix, size_t bytes);

// Random lowercase hex string of `bytes` bytes.
std::string RandomHex(size_t bytes);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_RANDOM_H_

#include "server/auth/constant_time.h"

#include <openssl/crypto.h>

namespace mdefleet {

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace mdefleet

// clang-format off
#include <windows.h>
#include <bcrypt.h>
// clang-format on

#include <cstdlib>

#include "common/random_bytes.h"

namespace mdefleet {

std::string RandomBytes(size_t bytes) {
  std::string out(bytes, '\0');
  if (!BCRYPT_SUCCESS(BCryptGenRandom(
          nullptr, reinterpret_cast<PUCHAR>(out.data()),
          static_cast<ULONG>(bytes), BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
    std::abort();
  }
  return out;
}

}  // namespace mdefleet

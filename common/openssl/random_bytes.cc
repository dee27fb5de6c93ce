#include <openssl/rand.h>

#include <cstdlib>

#include "common/random_bytes.h"

namespace mdefleet {

std::string RandomBytes(size_t bytes) {
  std::string out(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(bytes)) != 1) {
    std::abort();
  }
  return out;
}

}  // namespace mdefleet

// The OS CSPRNG: OpenSSL's RAND_bytes on Linux (common/openssl/), BCrypt on
// Windows (common/windows/); CMake picks one.
#ifndef MDEFLEET_COMMON_RANDOM_BYTES_H_
#define MDEFLEET_COMMON_RANDOM_BYTES_H_

#include <cstddef>
#include <string>

namespace mdefleet {

// `bytes` cryptographically random bytes. Aborts when the CSPRNG fails:
// without one no token is safe to hand out.
std::string RandomBytes(size_t bytes);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_RANDOM_BYTES_H_

// SHA-256: OpenSSL on Linux (common/openssl/), Windows CNG on Windows
// (common/windows/); CMake picks one.
#ifndef MDEFLEET_COMMON_SHA256_H_
#define MDEFLEET_COMMON_SHA256_H_

#include <memory>
#include <string>
#include "absl/strings/string_view.h"

namespace mdefleet {

// Lowercase hex digest of `data`.
std::string Sha256Hex(absl::string_view data);

// Incremental hashing for streamed content.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data);
  // Lowercase hex digest; the object must not be used afterwards.
  std::string FinishHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_SHA256_H_

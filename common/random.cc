#include "common/random.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace mdefleet {
namespace {

std::string RandomBytes(size_t bytes) {
  std::string out(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(bytes)) != 1) {
    // Without a CSPRNG no token is safe to hand out.
    std::abort();
  }
  return out;
}

}  // namespace

std::string RandomToken(absl::string_view prefix, size_t bytes) {
  return absl::StrCat(prefix, absl::WebSafeBase64Escape(RandomBytes(bytes)));
}

std::string RandomHex(size_t bytes) {
  return absl::BytesToHexString(RandomBytes(bytes));
}

}  // namespace mdefleet

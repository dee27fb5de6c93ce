#include "common/random.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/random_bytes.h"

namespace mdefleet {

std::string RandomToken(absl::string_view prefix, size_t bytes) {
  return absl::StrCat(prefix, absl::WebSafeBase64Escape(RandomBytes(bytes)));
}

std::string RandomHex(size_t bytes) {
  return absl::BytesToHexString(RandomBytes(bytes));
}

}  // namespace mdefleet

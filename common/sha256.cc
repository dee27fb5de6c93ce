#include "common/sha256.h"

namespace mdefleet {

std::string Sha256Hex(absl::string_view data) {
  Sha256 hash;
  hash.Update(data);
  return hash.FinishHex();
}

}  // namespace mdefleet

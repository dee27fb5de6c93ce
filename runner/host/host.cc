#include "runner/host/host.h"

#include "absl/strings/str_cat.h"

namespace mdefleet::runner {

std::string DescribeRegistryData(const RegistryData& data) {
  if (const auto* s = std::get_if<std::string>(&data)) {
    return absl::StrCat("REG_SZ \"", *s, "\"");
  }
  return absl::StrCat("REG_DWORD ", std::get<uint32_t>(data));
}

}  // namespace mdefleet::runner

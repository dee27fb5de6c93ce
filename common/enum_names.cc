#include "common/enum_names.h"

#include "absl/strings/strip.h"

namespace mdefleet {

std::string EnumShortName(absl::string_view full_name,
                          absl::string_view prefix) {
  return std::string(absl::StripPrefix(full_name, prefix));
}

std::string ServiceStateName(v1::ServiceState state) {
  return EnumShortName(v1::ServiceState_Name(state), "SERVICE_STATE_");
}

}  // namespace mdefleet

// Proto enum values as operators read them: the value's name without its
// type's prefix ("RUNNING" for SERVICE_STATE_RUNNING). One place, so every
// message and table spells a state the same way.
#ifndef MDEFLEET_COMMON_ENUM_NAMES_H_
#define MDEFLEET_COMMON_ENUM_NAMES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet {

// `full_name` without `prefix` (unchanged when it does not start with it).
std::string EnumShortName(absl::string_view full_name,
                          absl::string_view prefix);

// "RUNNING", "STOPPED", "START_PENDING", ... ("UNSPECIFIED" for 0).
std::string ServiceStateName(v1::ServiceState state);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_ENUM_NAMES_H_

// Proto enum values as operators read them: the value's name without its
// type's prefix ("RUNNING" for SERVICE_STATE_RUNNING). One place, so every
// message and table spells a state the same way.
#ifndef MDEFLEET_COMMON_ENUM_NAMES_H_
#define MDEFLEET_COMMON_ENUM_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet {

// `full_name` without `prefix` (unchanged when it does not start with it).
std::string EnumShortName(absl::string_view full_name,
                          absl::string_view prefix);

// "RUNNING", "STOPPED", "START_PENDING", ... ("UNSPECIFIED" for 0).
std::string ServiceStateName(v1::ServiceState state);

// The prefix all of an enum's values share, read from its zero value
// ("JOB_STATE_" of JOB_STATE_UNSPECIFIED); "" when that is not so named.
std::string EnumPrefix(const google::protobuf::EnumDescriptor& descriptor);

// A value as tables and flags spell it: lower case without the prefix
// ("timed_out" for JOB_STATE_TIMED_OUT); "unknown(7)" for a number the enum
// does not name.
std::string EnumLowerName(const google::protobuf::EnumDescriptor& descriptor,
                          int number);

// The value `text` names: its short or full name, in any case, with '-' for
// '_' ("timed-out", "TIMED_OUT", "job_state_timed_out"). Never the zero
// value: leaving a filter out means "any". Otherwise InvalidArgument
// `<field>: unknown value "<text>" (expected one of a, b, ...)`. Shared by
// mdefleetctl's flags and the HTTP API's parameters.
[[nodiscard]] absl::StatusOr<int> ParseEnumName(
    const google::protobuf::EnumDescriptor& descriptor, absl::string_view text,
    absl::string_view field);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_ENUM_NAMES_H_

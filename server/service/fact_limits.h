// Bounds on the facts a runner reports (DeviceFacts), checked before they
// are stored: every string, repeated field and label of a message an
// endpoint controls, walked through the descriptors so new fields are
// bounded too. Errors name the field ("facts.proxy.av_proxy: ...").
#ifndef MDEFLEET_SERVER_SERVICE_FACT_LIMITS_H_
#define MDEFLEET_SERVER_SERVICE_FACT_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::service {

inline constexpr size_t kMaxHostnameLength = 255;      // a DNS name
inline constexpr size_t kMaxFactLength = 1024;         // any other string
inline constexpr size_t kMaxFactMessageLength = 4096;  // free text
inline constexpr int kMaxFactEntries = 16;             // repeated fields

// OK, or INVALID_ARGUMENT naming the first field over its bound (under
// `field`, e.g. "facts"). Strings may not hold control characters (free
// text may hold tabs and line breaks), C1 controls, U+2028/U+2029 or
// bidirectional formatting characters (common/inert_text.h,
// FirstRefusedCharacter); labels follow common/labels.h.
[[nodiscard]] absl::Status CheckDeviceFacts(const v1::DeviceFacts& facts,
                                            absl::string_view field);

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_FACT_LIMITS_H_

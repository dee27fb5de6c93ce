// Typed registry reads the fact collectors share.
#ifndef MDEFLEET_RUNNER_FACTS_REGISTRY_VALUES_H_
#define MDEFLEET_RUNNER_FACTS_REGISTRY_VALUES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// A DWORD value, or nullopt when absent or of another type.
[[nodiscard]] absl::StatusOr<std::optional<uint32_t>> ReadDword(
    Host& host, absl::string_view key, absl::string_view name);

// A string value, or "" when absent or of another type.
[[nodiscard]] absl::StatusOr<std::string> ReadString(Host& host,
                                                     absl::string_view key,
                                                     absl::string_view name);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_FACTS_REGISTRY_VALUES_H_

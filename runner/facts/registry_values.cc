#include "runner/facts/registry_values.h"

#include <variant>

#include "common/status_macros.h"

namespace mdefleet::runner {

absl::StatusOr<std::optional<uint32_t>> ReadDword(Host& host,
                                                  absl::string_view key,
                                                  absl::string_view name) {
  ASSIGN_OR_RETURN(std::optional<RegistryData> v, host.ReadValue(key, name));
  if (!v || !std::holds_alternative<uint32_t>(*v)) return std::nullopt;
  return std::get<uint32_t>(*v);
}

absl::StatusOr<std::string> ReadString(Host& host, absl::string_view key,
                                       absl::string_view name) {
  ASSIGN_OR_RETURN(std::optional<RegistryData> v, host.ReadValue(key, name));
  if (!v || !std::holds_alternative<std::string>(*v)) return std::string();
  return std::get<std::string>(*v);
}

}  // namespace mdefleet::runner

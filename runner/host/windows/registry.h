// The registry half of WindowsHost: HKEY_LOCAL_MACHINE, always in the 64-bit
// view (KEY_WOW64_64KEY), keys written without the hive. Semantics are those
// of runner/host/host.h: absent is an answer, not an error.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_REGISTRY_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_REGISTRY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runner/host/host.h"

namespace mdefleet::runner::win {

// Value `name` of HKLM\`key` ("" = the default value). nullopt when the key or
// the value is absent. REG_SZ and REG_EXPAND_SZ (not expanded) give a string,
// REG_DWORD a uint32_t. Errors: PermissionDenied (ERROR_ACCESS_DENIED),
// Unimplemented for other value types, DataLoss for a malformed REG_DWORD,
// InvalidArgument for a malformed key.
[[nodiscard]] absl::StatusOr<std::optional<RegistryData>> ReadRegistryValue(
    absl::string_view key, absl::string_view name);

// Whether value `name` of HKLM\`key` exists with any type and non-empty data
// (e.g. the REG_MULTI_SZ PendingFileRenameOperations).
[[nodiscard]] absl::StatusOr<bool> RegistryValueHasData(absl::string_view key,
                                                        absl::string_view name);

// Sets value `name` of HKLM\`key` as REG_SZ or REG_DWORD, creating the key
// and its parents.
[[nodiscard]] absl::Status WriteRegistryValue(absl::string_view key,
                                              absl::string_view name,
                                              const RegistryData& data);

// Deletes value `name`; an absent value or key is success.
[[nodiscard]] absl::Status DeleteRegistryValue(absl::string_view key,
                                               absl::string_view name);

// Whether HKLM\`key` exists.
[[nodiscard]] absl::StatusOr<bool> RegistryKeyExists(absl::string_view key);

// Names of the direct subkeys of HKLM\`key`; empty when it is absent.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ListRegistrySubkeys(
    absl::string_view key);

// Deletes HKLM\`key` with its subkeys and values; an absent key is success.
// A top-level key ("SOFTWARE") is InvalidArgument: no action needs that and a
// mistake would be unrecoverable.
[[nodiscard]] absl::Status DeleteRegistryKey(absl::string_view key);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_REGISTRY_H_

// Machine-bound secrets for WindowsHost::ProtectSecret/UnprotectSecret: DPAPI
// in machine scope, so the LocalSystem service can read back what it stored
// after a reboot, and a copy taken to another machine is useless. Machine
// scope means any process on this machine could decrypt the blob: the
// state directory's DACL (SYSTEM and Administrators only) is what keeps the
// blob itself away from others.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_SECRETS_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_SECRETS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::runner::win {

// CryptProtectData(CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN)
// with the runner's own entropy. The result is opaque bytes. Internal when
// DPAPI fails.
[[nodiscard]] absl::StatusOr<std::string> ProtectForMachine(
    absl::string_view plaintext);

// CryptUnprotectData of a ProtectForMachine result. DataLoss (naming the
// Win32 error) when it was made on another machine, with other entropy, or
// altered.
[[nodiscard]] absl::StatusOr<std::string> UnprotectForMachine(
    absl::string_view protected_data);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_SECRETS_H_

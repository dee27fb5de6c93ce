// Install.ps1 (mdefordownlevelserver) exit codes and switches, as documented.
#ifndef MDEFLEET_COMMON_INSTALL_PS1_H_
#define MDEFLEET_COMMON_INSTALL_PS1_H_

#include "absl/strings/string_view.h"

namespace mdefleet::install_ps1 {

inline constexpr int kInternalError = 1;
inline constexpr int kInsufficientPrivileges = 3;
inline constexpr int kNoConnectivity = 4;
inline constexpr int kConflictingApps = 5;
inline constexpr int kInvalidParameter = 6;
inline constexpr int kUnsupportedDistro = 10;
inline constexpr int kUnsupportedVersion = 11;
inline constexpr int kPendingReboot = 12;
inline constexpr int kInsufficientRequirements = 13;
inline constexpr int kUnexpectedState = 14;
inline constexpr int kCorruptedFile = 15;
inline constexpr int kMsiNotFound = 16;
inline constexpr int kAlreadyUninstalled = 17;
inline constexpr int kDirectoryNotWritable = 18;
inline constexpr int kMdeNotInstalled = 20;
inline constexpr int kInstallationFailed = 21;
inline constexpr int kUninstallationFailed = 22;
inline constexpr int kFailedDependency = 23;
inline constexpr int kOnboardingScriptNotFound = 30;
inline constexpr int kOnboardingFailed = 31;
inline constexpr int kOffboardingScriptNotFound = 32;
inline constexpr int kOffboardingFailed = 33;
inline constexpr int kNotOnboarded = 34;
inline constexpr int kNotOffboarded = 35;
inline constexpr int kMsiUsedByAnotherProcess = 36;

// Codes a later attempt may cure: the network comes back, the device
// restarts, the other installer finishes. Every other code is final.
inline constexpr int kRetryableExitCodes[] = {kNoConnectivity, kPendingReboot,
                                              kMsiUsedByAnotherProcess};

// Codes that mean "restart the machine, then run Install.ps1 again": the
// runner does so itself (RunProcessAction.reboot_exit_codes).
inline constexpr int kRebootExitCodes[] = {kPendingReboot};

struct ExitCodeMeaning {
  int code;
  absl::string_view meaning;
};

// Every documented code with an operator-facing meaning ("pending reboot:
// reboot, then run again").
inline constexpr ExitCodeMeaning kExitCodes[] = {
    {kInternalError, "internal error"},
    {kInsufficientPrivileges, "insufficient privileges (not elevated)"},
    {kNoConnectivity, "no internet connectivity"},
    {kConflictingApps, "conflicting applications installed"},
    {kInvalidParameter, "invalid parameter"},
    {kUnsupportedDistro, "unsupported distribution"},
    {kUnsupportedVersion, "unsupported OS version"},
    {kPendingReboot, "pending reboot: reboot, then run again"},
    {kInsufficientRequirements, "insufficient requirements (missing updates)"},
    {kUnexpectedState, "unexpected state"},
    {kCorruptedFile, "corrupted file"},
    {kMsiNotFound, "md4ws.msi not found beside Install.ps1"},
    {kAlreadyUninstalled, "already uninstalled"},
    {kDirectoryNotWritable, "directory not writable"},
    {kMdeNotInstalled, "Defender for Endpoint not installed"},
    {kInstallationFailed, "installation failed"},
    {kUninstallationFailed, "uninstallation failed"},
    {kFailedDependency, "failed dependency"},
    {kOnboardingScriptNotFound, "onboarding script not found"},
    {kOnboardingFailed, "onboarding failed"},
    {kOffboardingScriptNotFound, "offboarding script not found"},
    {kOffboardingFailed, "offboarding failed"},
    {kNotOnboarded, "not onboarded"},
    {kNotOffboarded, "not offboarded"},
    {kMsiUsedByAnotherProcess, "md4ws.msi is used by another process"},
};

}  // namespace mdefleet::install_ps1

#endif  // MDEFLEET_COMMON_INSTALL_PS1_H_

// Install.ps1 (microsoft/mdefordownlevelserver) exit codes, with the
// operator advice its own comments give (the ERR_* table near the top of the
// script), and the msiexec codes it passes through: after `msiexec /i` or
// `/x` it ends with `Exit-Install "$action exitcode: $exitCode"
// -ExitCode:$exitCode`, so msiexec's code becomes Install.ps1's.
#ifndef MDEFLEET_COMMON_INSTALL_PS1_H_
#define MDEFLEET_COMMON_INSTALL_PS1_H_

#include "absl/strings/string_view.h"

namespace mdefleet::install_ps1 {

// Install.ps1's own codes (ERR_*).
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
inline constexpr int kInvalidScriptType = 37;
inline constexpr int kTamperProtected = 38;
inline constexpr int kGroupPolicyDisabled = 39;

// msiexec's codes (Windows Installer error codes) Install.ps1 passes on.
inline constexpr int kMsiInstallFailure = 1603;
inline constexpr int kMsiInstallAlreadyRunning = 1618;
inline constexpr int kMsiPackageOpenFailed = 1619;
inline constexpr int kMsiPackageRejected = 1625;
inline constexpr int kMsiProductVersion = 1638;
inline constexpr int kMsiRebootInitiated = 1641;
inline constexpr int kMsiSuccessRebootRequired = 3010;

// Codes a later attempt may cure: the network comes back, the device
// restarts, the other installer finishes. Every other code is final.
inline constexpr int kRetryableExitCodes[] = {kNoConnectivity, kPendingReboot,
                                              kMsiUsedByAnotherProcess,
                                              kMsiInstallAlreadyRunning};

// Install (Install.ps1 without -Uninstall): codes that mean "restart the
// machine, then run Install.ps1 again". On 3010/1641 md4ws is installed but
// Install.ps1 stopped before the onboarding script (it exits right after
// msiexec), so the run after the restart, which finds md4ws installed,
// onboards.
inline constexpr int kInstallRebootExitCodes[] = {
    kPendingReboot, kMsiSuccessRebootRequired, kMsiRebootInitiated};
// Uninstall: 12 means "restart, then run again"; 3010/1641 mean the
// uninstallation succeeded and a restart finishes it (running Install.ps1
// again would find nothing to uninstall).
inline constexpr int kUninstallRebootExitCodes[] = {kPendingReboot};
inline constexpr int kUninstallRestartAfterExitCodes[] = {
    kMsiSuccessRebootRequired, kMsiRebootInitiated};

// msiexec failures whose explanation is in the MSI log Install.ps1 keeps
// beside itself (`$PSScriptRoot\<install|uninstall>-<COMPUTERNAME>.log`).
inline constexpr int kMsiLogExitCodes[] = {
    kMsiInstallFailure, kMsiPackageOpenFailed, kMsiPackageRejected,
    kMsiProductVersion};

struct ExitCodeMeaning {
  int code;
  absl::string_view meaning;
};

// Every code with an operator-facing meaning, from upstream's comments
// ("Not used" codes say where such a code really comes from).
inline constexpr ExitCodeMeaning kExitCodes[] = {
    {kInternalError,
     "PowerShell error, or a script's or installer's own exit code 1: see "
     "the output"},
    {kInsufficientPrivileges, "insufficient privileges (not elevated)"},
    {kNoConnectivity,
     "no internet connectivity: is the device behind a proxy? is the network "
     "on?"},
    {kConflictingApps, "conflicting applications installed"},
    {kInvalidParameter,
     "invalid parameter (an onboarding script passed as the offboarding one "
     "or the other way round, or a workspace the agent does not report to)"},
    {kUnsupportedDistro, "unsupported OS: not Windows Server 2012 R2 or 2016"},
    {kUnsupportedVersion,
     "unsupported version: this md4ws version cannot be uninstalled from the "
     "System account (fixed in February 2023 builds); update md4ws first or "
     "uninstall it as an administrator"},
    {kPendingReboot, "pending reboot: reboot, then run again"},
    {kInsufficientRequirements,
     "insufficient requirements: a required update (KB) or Defender platform "
     "update is missing; apply the latest cumulative update"},
    {kUnexpectedState,
     "unexpected state of the product: manual intervention is required"},
    {kCorruptedFile,
     "corrupted file: md4ws.msi (or an update it needs) is not validly "
     "signed; download it again"},
    {kMsiNotFound, "md4ws.msi not found beside Install.ps1"},
    {kAlreadyUninstalled, "already uninstalled"},
    {kDirectoryNotWritable,
     "directory not writable: Install.ps1 writes its logs beside itself"},
    {kMdeNotInstalled,
     "Defender for Endpoint is not installed: nothing to uninstall"},
    {kInstallationFailed, "installation failed"},
    {kUninstallationFailed, "uninstallation failed"},
    {kFailedDependency, "failed dependency"},
    {kOnboardingScriptNotFound, "onboarding script not found"},
    {kOnboardingFailed, "onboarding failed"},
    {kOffboardingScriptNotFound, "offboarding script not found"},
    {kOffboardingFailed,
     "offboarding failed: Sense is still onboarded after the offboarding "
     "script"},
    {kNotOnboarded, "Sense is not onboarded: nothing to offboard"},
    {kNotOffboarded,
     "Sense is onboarded: md4ws can be installed, upgraded or removed only "
     "when offboarded (offboard first)"},
    {kMsiUsedByAnotherProcess,
     "md4ws.msi is opened by another process (Orca?), preventing the "
     "installation"},
    {kInvalidScriptType,
     "the onboarding or offboarding script waits for user input (the "
     "\"Local Script\" package): download the Group Policy package from the "
     "Defender portal and upload that"},
    {kTamperProtected,
     "tamper protection is still on, so md4ws cannot be uninstalled: turn "
     "tamper protection off for this device (Defender portal: "
     "troubleshooting mode, or the policy that turned it on), then run "
     "again"},
    {kGroupPolicyDisabled,
     "Group Policy disables Defender Antivirus (HKLM\\SOFTWARE\\Policies\\"
     "Microsoft\\Windows Defender DisableAntiSpyware = 1): remove the policy "
     "or set it to 0, then run again"},
    {kMsiInstallFailure,
     "msiexec: fatal error during installation (1603); the MSI log says "
     "why"},
    {kMsiInstallAlreadyRunning,
     "msiexec: another installation is in progress (1618); retried later"},
    {kMsiPackageOpenFailed,
     "msiexec: md4ws.msi could not be opened (1619): truncated download?"},
    {kMsiPackageRejected,
     "msiexec: the installation is forbidden by system policy (1625)"},
    {kMsiProductVersion,
     "msiexec: another version of the product is already installed (1638)"},
    {kMsiRebootInitiated,
     "msiexec: succeeded and restarted the machine (1641)"},
    {kMsiSuccessRebootRequired,
     "msiexec: succeeded; a restart is required to finish (3010)"},
};

}  // namespace mdefleet::install_ps1

#endif  // MDEFLEET_COMMON_INSTALL_PS1_H_

// Windows facts the plans, the fact collector and the simulated host agree on:
// registry keys (HKLM, without the hive), value names, services, paths.
// Sources: shared/DESIGN.md section 4 and the seed articles.
#ifndef MDEFLEET_COMMON_MDE_CONSTANTS_H_
#define MDEFLEET_COMMON_MDE_CONSTANTS_H_

#include "absl/strings/string_view.h"

namespace mdefleet::mde {

// Sensor service (MsSense.exe).
inline constexpr absl::string_view kSenseService = "Sense";
// Microsoft Monitoring Agent.
inline constexpr absl::string_view kMmaService = "HealthService";
// Defender Antivirus.
inline constexpr absl::string_view kDefenderAvService = "WinDefend";

// OnboardingState (DWORD, 1 = onboarded) lives here.
inline constexpr absl::string_view kAtpStatusKey =
    "SOFTWARE\\Microsoft\\Windows Advanced Threat Protection\\Status";
inline constexpr absl::string_view kOnboardingStateValue = "OnboardingState";
// senseGuid lives here (deleted before imaging).
inline constexpr absl::string_view kAtpKey =
    "SOFTWARE\\Microsoft\\Windows Advanced Threat Protection";
inline constexpr absl::string_view kSenseGuidValue = "senseGuid";
// The Defender machine id (40 hex characters) the portal and the API use;
// written when the sensor registers, kept after offboarding.
inline constexpr absl::string_view kSenseIdValue = "senseId";
// Policy key written by onboarding/offboarding scripts; also holds
// ForceDefenderPassiveMode and PreferStaticProxyForHttpRequest.
inline constexpr absl::string_view kAtpPolicyKey =
    "SOFTWARE\\Policies\\Microsoft\\Windows Advanced Threat Protection";
inline constexpr absl::string_view kOnboardingInfoValue = "OnboardingInfo";
inline constexpr absl::string_view kOffboardingMarker =
    "696C1FA1-4030-4FA4-8713-FAF9B2EA7C0A";
inline constexpr absl::string_view kForcePassiveModeValue =
    "ForceDefenderPassiveMode";

// MMA workspaces: one subkey "AOI-<workspace GUID>" per Log Analytics
// workspace.
inline constexpr absl::string_view kMmaManagementGroupsKey =
    "SYSTEM\\CurrentControlSet\\Services\\HealthService\\Parameters\\"
    "Management Groups";
inline constexpr absl::string_view kMmaWorkspacePrefix = "AOI-";

// Pending reboot markers (Component Based Servicing / Windows Update).
inline constexpr absl::string_view kCbsRebootPendingKey =
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based "
    "Servicing\\RebootPending";
inline constexpr absl::string_view kWuRebootRequiredKey =
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto "
    "Update\\RebootRequired";

// Machine identity (cloned runners share it only if the image was not
// generalised).
inline constexpr absl::string_view kCryptographyKey =
    "SOFTWARE\\Microsoft\\Cryptography";
inline constexpr absl::string_view kMachineGuidValue = "MachineGuid";

// Third-party antivirus services the fact collector recognises.
inline constexpr absl::string_view kThirdPartyAvServices[] = {
    "CSFalconService",   // CrowdStrike Falcon
    "SentinelAgent",     // SentinelOne
    "ekrn",              // ESET
    "McShield",          // Trellix/McAfee
    "SAVService",        // Sophos
    "ntrtscan",          // Trend Micro Apex One
    "CylanceSvc",        // Cylance
    "SepMasterService",  // Symantec Endpoint Protection
};

// Defender Antivirus (issue 5: av_mode, tamper protection, cloud protection).
// PassiveMode (DWORD, 1 = Defender Antivirus runs in passive mode) as
// Defender records its running mode.
inline constexpr absl::string_view kDefenderKey =
    "SOFTWARE\\Microsoft\\Windows Defender";
inline constexpr absl::string_view kPassiveModeValue = "PassiveMode";
// TamperProtection (DWORD): bit 0 set = on (1 and 5 on, 0 and 4 off);
// TamperProtectionSource (DWORD): who turned it on.
inline constexpr absl::string_view kDefenderFeaturesKey =
    "SOFTWARE\\Microsoft\\Windows Defender\\Features";
inline constexpr absl::string_view kTamperProtectionValue = "TamperProtection";
inline constexpr absl::string_view kTamperProtectionSourceValue =
    "TamperProtectionSource";
// Group Policy "Turn off Microsoft Defender Antivirus": DisableAntiSpyware
// (DWORD) = 1 under this key stops Install.ps1 (exit 39).
inline constexpr absl::string_view kDefenderPolicyKey =
    "SOFTWARE\\Policies\\Microsoft\\Windows Defender";
inline constexpr absl::string_view kDisableAntiSpywareValue =
    "DisableAntiSpyware";
// Cloud-delivered protection (MAPSReporting, Get-MpPreference): the policy
// value (Group Policy "Join Microsoft MAPS") overrides the local preference;
// both are named SpynetReporting; 0 = off, 1 basic, 2 advanced. Absent in
// both: on (cloud protection is on by default, seed 003).
inline constexpr absl::string_view kSpynetPolicyKey =
    "SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Spynet";
inline constexpr absl::string_view kSpynetKey =
    "SOFTWARE\\Microsoft\\Windows Defender\\Spynet";
inline constexpr absl::string_view kSpynetReportingValue = "SpynetReporting";
// Tenant the sensor reports to (REG_SZ GUID) under kAtpStatusKey.
inline constexpr absl::string_view kOrgIdValue = "OrgId";
// MpCmdRun -ValidateMapsConnection (seed 003).
inline constexpr absl::string_view kMpCmdRunPath =
    "C:\\Program Files\\Windows Defender\\MpCmdRun.exe";
inline constexpr absl::string_view kValidateMapsSwitch =
    "-ValidateMapsConnection";
inline constexpr absl::string_view kMapsConnectionOk =
    "ValidateMapsConnection successfully established a connection to MAPS";
inline constexpr absl::string_view kHresultAccessDenied = "0x80070005";
inline constexpr absl::string_view kHresultMapsDisabled = "0x80508015";
inline constexpr absl::string_view kHresultServiceDisabled = "0x800106BA";
inline constexpr absl::string_view kHresultUnsupportedCommand = "0x80070667";

// Files.
inline constexpr absl::string_view kCyberDirectory =
    "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat "
    "Protection\\Cyber";
inline constexpr absl::string_view kInstallScriptFileName = "Install.ps1";
// Install.ps1 requires md4ws.msi beside it, unrenamed.
inline constexpr absl::string_view kInstallerMsiFileName = "md4ws.msi";
inline constexpr absl::string_view kOnboardingScriptFileName =
    "WindowsDefenderATPOnboardingScript.cmd";

// Checked on 2019+ before onboarding (no installer checks it there) when the
// onboarding package names no gateway (common/defender_urls.h): the first
// US standard gateway of common/data/defender_urls.txt.
inline constexpr absl::string_view kConnectivityCheckUrl =
    "https://winatp-gw-cus.microsoft.com/commands/test";

}  // namespace mdefleet::mde

#endif  // MDEFLEET_COMMON_MDE_CONSTANTS_H_

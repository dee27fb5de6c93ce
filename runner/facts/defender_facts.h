// The Defender facts of issue 5: org id, Defender Antivirus running mode,
// tamper protection and its source, cloud-delivered protection and the last
// cloud connection check. Read through Host only (Windows and simulated).
#ifndef MDEFLEET_RUNNER_FACTS_DEFENDER_FACTS_H_
#define MDEFLEET_RUNNER_FACTS_DEFENDER_FACTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "mdefleet/v1/types.pb.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// Fills org_id (Status\OrgId), am_running_mode and av_mode (WinDefend
// absent: NOT_INSTALLED; not running: DISABLED; running: from AMRunningMode
// when Defender Antivirus answers (Host::GetDefenderStatus), else
// PassiveMode = 1 under SOFTWARE\Microsoft\Windows Defender: PASSIVE, else
// ACTIVE), tamper_protection (IsTamperProtected; without an answer
// Features\TamperProtection bit 0; absent: UNKNOWN),
// tamper_protection_source (TamperProtectionSource by name; without an
// answer the registry's number), cloud_protection (SpynetReporting, policy
// first, then local; 0 OFF, other ON; absent in both: ON, the default, when
// Defender Antivirus is installed, else UNKNOWN) and cloud_connection (the
// runner's record of its last check, see cloud_connection_record.h).
// Errors only when the host cannot answer.
[[nodiscard]] absl::Status CollectDefenderFacts(Host& host,
                                                v1::DeviceFacts* facts);

// How the fact reports the registry's TamperProtectionSource when Defender
// Antivirus gives no name: the numbers Windows stores are not documented
// (Get-MpComputerStatus names them "ATP", "Intune", ...), so the number is
// reported as "registry code N"; "" when absent.
std::string TamperProtectionSourceName(std::optional<uint32_t> code);

// av_mode for an AMRunningMode: "Normal" ACTIVE; "Passive Mode", "SxS
// Passive Mode", "EDR Block Mode" PASSIVE; "Not running" DISABLED; nullopt
// for a value Windows does not document.
std::optional<v1::AvMode> AvModeFromRunningMode(absl::string_view mode);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_FACTS_DEFENDER_FACTS_H_

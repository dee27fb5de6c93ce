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

// Fills org_id (Status\OrgId), av_mode (WinDefend absent: NOT_INSTALLED; not
// running: DISABLED; running with PassiveMode = 1 under
// SOFTWARE\Microsoft\Windows Defender: PASSIVE; else ACTIVE),
// tamper_protection (Features\TamperProtection bit 0; absent: UNKNOWN),
// tamper_protection_source, cloud_protection (SpynetReporting, policy first,
// then local; 0 OFF, other ON; absent in both: ON, the default, when
// Defender Antivirus is installed, else UNKNOWN) and cloud_connection (the
// runner's record of its last check, see cloud_connection_record.h).
// Errors only when the host cannot answer.
absl::Status CollectDefenderFacts(Host& host, v1::DeviceFacts* facts);

// How the fact reports TamperProtectionSource: the numeric codes Windows
// stores are not documented (Get-MpComputerStatus names them "ATP",
// "Intune", ...), so the code is reported as "code N"; "" when absent.
std::string TamperProtectionSourceName(std::optional<uint32_t> code);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_FACTS_DEFENDER_FACTS_H_

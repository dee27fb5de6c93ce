// Defender Antivirus' own status, as Get-MpComputerStatus reads it: the WMI
// class MSFT_MpComputerStatus in root\Microsoft\Windows\Defender
// (AMRunningMode, IsTamperProtected, TamperProtectionSource).
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_DEFENDER_STATUS_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_DEFENDER_STATUS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "runner/host/host.h"

namespace mdefleet::runner::win {

// nullopt when the namespace or class does not exist or Defender Antivirus
// does not answer (not installed, service stopped, an older platform without
// these properties leaves them empty). Errors only when COM cannot start on
// this thread.
[[nodiscard]] absl::StatusOr<std::optional<DefenderStatus>>
QueryDefenderStatus();

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_DEFENDER_STATUS_H_

// Interpretation of `MpCmdRun.exe -ValidateMapsConnection` (seed 003 and
// Microsoft's "Configure and validate Microsoft Defender Antivirus network
// connections"): success prints "ValidateMapsConnection successfully
// established a connection to MAPS"; a failure prints
// "ValidateMapsConnection failed to establish a connection to MAPS
// (hr=0x80072EFE httpcore=451)" and "MpCmdRun.exe: hr = 0x80072EFE" (older
// platforms: "ValidateMapsConnection failed (800106BA)") and exits non-zero.
#ifndef MDEFLEET_RUNNER_EXECUTOR_MAPS_CONNECTION_H_
#define MDEFLEET_RUNNER_EXECUTOR_MAPS_CONNECTION_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/types.pb.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// The HRESULT MpCmdRun printed ("0x80508015", uppercase hex digits), or ""
// when its output names none.
std::string FindHresult(absl::string_view output);

// The check as DeviceFacts.cloud_connection records it: ok, the HRESULT (or
// "exit N" when none was printed), and an actionable message: 0x80070005
// not elevated, 0x80508015 cloud protection disabled (check MAPSReporting),
// 0x800106BA Defender Antivirus service disabled, 0x80070667 command not
// supported by this platform; other HRESULTs verbatim with the connectivity
// advice of seed 003.
v1::CloudConnectionCheck InterpretValidateMapsConnection(
    const ProcessResult& result, absl::Time checked_at);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_EXECUTOR_MAPS_CONNECTION_H_

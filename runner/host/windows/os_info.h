// Operating-system facts for WindowsHost::GetOsInfo.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_OS_INFO_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_OS_INFO_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runner/host/host.h"

namespace mdefleet::runner::win {

struct FileVersion {
  uint16_t major = 0;
  uint16_t minor = 0;
  uint16_t build = 0;
  uint16_t revision = 0;
};

// The fixed file version of `path`'s version resource; nullopt when it has
// none or cannot be read.
std::optional<FileVersion> ReadFileVersion(absl::string_view path);

// Reads every OsInfo field:
// - product: ProductName under
//   HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion ("Windows" when
//   missing);
// - version/build: RtlGetVersion (the true version, whatever the runner's
//   manifest says) and, as revision, UBR from the same key or, where there is
//   no UBR (2012 R2), the revision of %SystemRoot%\System32\ntoskrnl.exe's
//   file version, as Install.ps1 reads it;
// - hostname/domain: GetComputerNameExW(ComputerNameDnsHostname /
//   ComputerNameDnsDomain), the domain "" in a workgroup;
// - reboot_pending: the CBS RebootPending key, the Windows Update
//   RebootRequired key, or a non-empty PendingFileRenameOperations;
// - boot_time: now minus GetTickCount64(), to the second;
// - utc_offset_minutes: -(Bias + DaylightBias or StandardBias, whichever is
//   in effect) from GetDynamicTimeZoneInformation;
// - machine_identity: MachineGuid under HKLM\SOFTWARE\Microsoft\Cryptography.
[[nodiscard]] absl::StatusOr<OsInfo> CollectOsInfo();

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_OS_INFO_H_

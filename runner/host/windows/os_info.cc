#include "runner/host/windows/os_info.h"

#include <windows.h>

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mde_constants.h"
#include "common/status_macros.h"
#include "runner/host/windows/registry.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::win {
namespace {

constexpr absl::string_view kCurrentVersionKey =
    "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";
constexpr absl::string_view kSessionManagerKey =
    "SYSTEM\\CurrentControlSet\\Control\\Session Manager";

struct NtVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint32_t build = 0;
};

// RtlGetVersion is not subject to the compatibility shims that make
// GetVersionExW report 6.2 to unmanifested programs. It is exported by
// ntdll.dll, which every process has loaded.
[[nodiscard]] absl::StatusOr<NtVersion> QueryNtVersion() {
  using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  if (ntdll == nullptr) return LastErrorStatus("ntdll.dll");
  auto rtl_get_version = reinterpret_cast<RtlGetVersionFn>(
      reinterpret_cast<void*>(GetProcAddress(ntdll, "RtlGetVersion")));
  if (rtl_get_version == nullptr) return LastErrorStatus("RtlGetVersion");
  OSVERSIONINFOW info = {};
  info.dwOSVersionInfoSize = sizeof(info);
  if (rtl_get_version(&info) != 0) {
    return absl::InternalError("RtlGetVersion failed");
  }
  return NtVersion{info.dwMajorVersion, info.dwMinorVersion,
                   info.dwBuildNumber};
}

[[nodiscard]] absl::StatusOr<std::string> ComputerName(
    COMPUTER_NAME_FORMAT format, absl::string_view what) {
  DWORD size = 0;
  GetComputerNameExW(format, nullptr, &size);
  std::wstring name(size + 1, L'\0');
  size = static_cast<DWORD>(name.size());
  if (!GetComputerNameExW(format, name.data(), &size)) {
    return LastErrorStatus(what);
  }
  name.resize(size);
  return WideToUtf8(name);
}

std::string StringOr(const std::optional<RegistryData>& value,
                     std::string fallback) {
  if (value.has_value()) {
    if (const auto* s = std::get_if<std::string>(&*value)) return *s;
  }
  return fallback;
}

[[nodiscard]] absl::StatusOr<uint32_t> Revision(const NtVersion& version) {
  ASSIGN_OR_RETURN(std::optional<RegistryData> ubr,
                   ReadRegistryValue(kCurrentVersionKey, "UBR"));
  if (ubr.has_value()) {
    if (const auto* dword = std::get_if<uint32_t>(&*ubr)) return *dword;
  }
  std::wstring system(MAX_PATH, L'\0');
  const UINT length = GetSystemDirectoryW(system.data(), MAX_PATH);
  if (length == 0 || length >= MAX_PATH) return 0u;
  system.resize(length);
  const std::optional<FileVersion> kernel =
      ReadFileVersion(WideToUtf8(system + L"\\ntoskrnl.exe"));
  // Only a kernel of this very build says anything about its revision.
  if (kernel.has_value() && kernel->build == version.build) {
    return kernel->revision;
  }
  return 0u;
}

[[nodiscard]] absl::StatusOr<bool> RebootPending() {
  ASSIGN_OR_RETURN(bool cbs, RegistryKeyExists(mde::kCbsRebootPendingKey));
  ASSIGN_OR_RETURN(bool wu, RegistryKeyExists(mde::kWuRebootRequiredKey));
  ASSIGN_OR_RETURN(
      bool renames,
      RegistryValueHasData(kSessionManagerKey, "PendingFileRenameOperations"));
  return cbs || wu || renames;
}

// Local time minus UTC in minutes: -(Bias + StandardBias or DaylightBias,
// whichever is in effect now). Windows defines UTC = local time + bias.
[[nodiscard]] absl::StatusOr<int> UtcOffsetMinutes() {
  DYNAMIC_TIME_ZONE_INFORMATION tz = {};
  const DWORD id = GetDynamicTimeZoneInformation(&tz);
  if (id == TIME_ZONE_ID_INVALID) {
    return LastErrorStatus("GetDynamicTimeZoneInformation");
  }
  LONG bias = tz.Bias;
  if (id == TIME_ZONE_ID_DAYLIGHT) {
    bias += tz.DaylightBias;
  } else if (id == TIME_ZONE_ID_STANDARD) {
    bias += tz.StandardBias;
  }
  return static_cast<int>(-bias);
}

}  // namespace

std::optional<FileVersion> ReadFileVersion(absl::string_view path) {
  const std::wstring wide = Utf8ToWide(path);
  DWORD ignored = 0;
  const DWORD size = GetFileVersionInfoSizeW(wide.c_str(), &ignored);
  if (size == 0) return std::nullopt;
  std::vector<char> data(size);
  if (!GetFileVersionInfoW(wide.c_str(), 0, size, data.data())) {
    return std::nullopt;
  }
  VS_FIXEDFILEINFO* fixed = nullptr;
  UINT fixed_size = 0;
  if (!VerQueryValueW(data.data(), L"\\", reinterpret_cast<void**>(&fixed),
                      &fixed_size) ||
      fixed == nullptr || fixed_size < sizeof(VS_FIXEDFILEINFO)) {
    return std::nullopt;
  }
  return FileVersion{
      HIWORD(fixed->dwFileVersionMS), LOWORD(fixed->dwFileVersionMS),
      HIWORD(fixed->dwFileVersionLS), LOWORD(fixed->dwFileVersionLS)};
}

absl::StatusOr<OsInfo> CollectOsInfo() {
  OsInfo info;
  ASSIGN_OR_RETURN(std::optional<RegistryData> product,
                   ReadRegistryValue(kCurrentVersionKey, "ProductName"));
  info.product = StringOr(product, "Windows");
  ASSIGN_OR_RETURN(NtVersion version, QueryNtVersion());
  ASSIGN_OR_RETURN(uint32_t revision, Revision(version));
  info.build = version.build;
  info.version = absl::StrCat(version.major, ".", version.minor, ".",
                              version.build, ".", revision);
  ASSIGN_OR_RETURN(info.hostname,
                   ComputerName(ComputerNameDnsHostname, "host name"));
  ASSIGN_OR_RETURN(info.domain,
                   ComputerName(ComputerNameDnsDomain, "DNS domain"));
  ASSIGN_OR_RETURN(info.reboot_pending, RebootPending());
  // Uptime to the second: the reported boot time should not wobble between
  // two readings.
  const absl::Duration uptime = absl::Milliseconds(GetTickCount64());
  info.boot_time =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() - uptime));
  ASSIGN_OR_RETURN(info.utc_offset_minutes, UtcOffsetMinutes());
  ASSIGN_OR_RETURN(
      std::optional<RegistryData> guid,
      ReadRegistryValue(mde::kCryptographyKey, mde::kMachineGuidValue));
  info.machine_identity = StringOr(guid, "");
  return info;
}

}  // namespace mdefleet::runner::win

// The portable platform layer of mdefleet-runner: everything the runner does
// to a Windows Server goes through one `Host`. Implementations live in sibling
// folders chosen by CMake: runner/host/sim/ (a simulated Windows Server for
// tests, demos and load) and runner/host/windows/ (Win32). This header is
// platform-neutral on purpose: no Windows types, no #ifdef.
//
// Conventions shared by every implementation:
// - Registry keys are under HKEY_LOCAL_MACHINE in the 64-bit view and are
//   written without the hive, e.g.
//   "SOFTWARE\\Policies\\Microsoft\\Windows Advanced Threat Protection".
//   Key and value names compare case-insensitively, as on Windows.
// - Paths are Windows-style
// ("C:\\ProgramData\\mdefleet\\work\\t1\\Install.ps1").
// - "Absent" (a value, key, service or file that does not exist) is a normal
//   answer, never an error; errors (access denied, I/O failure) are statuses
//   whose message names the object concerned.
#ifndef MDEFLEET_RUNNER_HOST_HOST_H_
#define MDEFLEET_RUNNER_HOST_HOST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::runner {

// A registry value's data: REG_SZ (std::string) or REG_DWORD (uint32_t).
// Other types are reported as errors by ReadValue.
using RegistryData = std::variant<std::string, uint32_t>;

// "REG_SZ \"text\"" / "REG_DWORD 1", for messages.
std::string DescribeRegistryData(const RegistryData& data);

// One program run: a fixed program path and its arguments (each quoted as one
// argument by the implementation).
struct ProcessRequest {
  std::string program;  // full Windows path, e.g. C:\Windows\System32\cmd.exe
  std::vector<std::string> args;
  absl::Duration timeout = absl::Minutes(10);
  std::string working_directory;  // empty: the runner's own
};

// What a finished (or killed) program left behind.
struct ProcessResult {
  int exit_code = 0;  // meaningless when timed_out
  std::string stdout_text;
  std::string stderr_text;
  bool timed_out = false;  // killed (with its process tree) at the timeout
};

// The system-wide WinHTTP proxy (`netsh winhttp set proxy`).
struct WinHttpProxy {
  std::string proxy;   // "10.0.0.6:8080" or "http=a:80;https=b:443"; "" direct
  std::string bypass;  // "<local>;*.corp"; "" none
};

// Facts about the operating system and the machine.
struct OsInfo {
  std::string product;   // "Windows Server 2019 Datacenter"
  std::string version;   // "10.0.17763.5122" (major.minor.build.revision)
  uint32_t build = 0;    // 17763
  std::string hostname;  // NetBIOS/DNS host name, e.g. "SIM-2019-0007"
  std::string domain;    // AD domain, "" in a workgroup
  bool reboot_pending = false;  // CBS / Windows Update / pending renames
  absl::Time boot_time = absl::InfinitePast();
  // Local time minus UTC in minutes, daylight saving included (UTC+9: 540).
  int utc_offset_minutes = 0;
  // Stable machine identity: HKLM\SOFTWARE\Microsoft\Cryptography MachineGuid.
  std::string machine_identity;
};

// What Defender Antivirus reports about itself (Get-MpComputerStatus, the
// WMI class MSFT_MpComputerStatus in root\Microsoft\Windows\Defender).
struct DefenderStatus {
  // AMRunningMode as Windows spells it: "Normal", "Passive Mode",
  // "SxS Passive Mode", "EDR Block Mode", "Not running".
  std::string am_running_mode;
  std::optional<bool> is_tamper_protected;  // IsTamperProtected
  // TamperProtectionSource: who turned tamper protection on ("ATP",
  // "Intune", "UI", "Signatures", "E5 transition"...); "" when not given.
  std::string tamper_protection_source;
};

// The platform interface. Implementations must be safe to call from one
// thread at a time (one runner loop drives one Host); they need not be
// thread-safe across threads unless documented.
class Host {
 public:
  virtual ~Host() = default;

  // ---- Registry (HKLM, 64-bit view) ----

  // Reads value `name` of `key`. nullopt when the key or the value does not
  // exist. Errors: PermissionDenied, or Unimplemented/DataLoss for a value of
  // a type other than REG_SZ/REG_DWORD.
  [[nodiscard]] virtual absl::StatusOr<std::optional<RegistryData>> ReadValue(
      absl::string_view key, absl::string_view name) = 0;

  // Writes value `name` of `key` (REG_SZ or REG_DWORD by the variant),
  // creating the key and its parents as needed.
  [[nodiscard]] virtual absl::Status WriteValue(absl::string_view key,
                                                absl::string_view name,
                                                const RegistryData& data) = 0;

  // Deletes value `name` of `key`. Deleting an absent value (or a value of an
  // absent key) succeeds: the postcondition "value absent" holds.
  [[nodiscard]] virtual absl::Status DeleteValue(absl::string_view key,
                                                 absl::string_view name) = 0;

  // Whether `key` exists.
  [[nodiscard]] virtual absl::StatusOr<bool> KeyExists(
      absl::string_view key) = 0;

  // Names of the direct subkeys of `key` (original spelling); empty when the
  // key does not exist.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> ListSubkeys(
      absl::string_view key) = 0;

  // Deletes `key` with all its subkeys and values. Absent key: success.
  [[nodiscard]] virtual absl::Status DeleteKey(absl::string_view key) = 0;

  // ---- Services (service control manager) ----

  // Current state of service `name`; SERVICE_STATE_ABSENT when no such
  // service is installed (ERROR_SERVICE_DOES_NOT_EXIST on Windows).
  [[nodiscard]] virtual absl::StatusOr<v1::ServiceState> QueryService(
      absl::string_view name) = 0;

  // Waits until service `name` is in `state` or `timeout` passes. Returns the
  // last observed state: equal to `state` on success. DeadlineExceeded (with
  // the observed state in the message) when the timeout passes first.
  [[nodiscard]] virtual absl::StatusOr<v1::ServiceState> WaitServiceState(
      absl::string_view name, v1::ServiceState state,
      absl::Duration timeout) = 0;

  // ---- Processes ----

  // Starts `request.program` with `request.args`, captures stdout and stderr
  // and waits for it. A program that ran and exited non-zero is a successful
  // call (look at exit_code); a program that ran past the timeout is killed
  // with its process tree and reported with timed_out. Errors: NotFound when
  // the program does not exist, other codes when it cannot be started.
  [[nodiscard]] virtual absl::StatusOr<ProcessResult> RunProcess(
      const ProcessRequest& request) = 0;

  // ---- Files (Windows paths) ----

  // The whole content of file `path`. NotFound when it does not exist.
  [[nodiscard]] virtual absl::StatusOr<std::string> ReadFile(
      absl::string_view path) = 0;

  // Replaces file `path` with `content` atomically (write to a temporary file
  // beside it, flush, rename over), so a crash leaves the old or the new
  // content, never a mix. The parent directory must exist.
  [[nodiscard]] virtual absl::Status WriteFile(absl::string_view path,
                                               absl::string_view content) = 0;

  // Creates directory `path` and its missing parents. Existing: success.
  [[nodiscard]] virtual absl::Status CreateDirectories(
      absl::string_view path) = 0;

  // Deletes everything inside directory `path`, keeping the directory itself.
  // Absent directory: success.
  [[nodiscard]] virtual absl::Status DeleteDirectoryContents(
      absl::string_view path) = 0;

  // Deletes file or directory `path` (recursively). Absent: success.
  [[nodiscard]] virtual absl::Status DeletePath(absl::string_view path) = 0;

  // Whether a file or directory exists at `path`.
  [[nodiscard]] virtual absl::StatusOr<bool> FileExists(
      absl::string_view path) = 0;

  // Names of the files and directories directly inside directory `path`,
  // sorted. Absent directory: empty.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> ListDirectory(
      absl::string_view path) = 0;

  // Extracts the ZIP file `archive` into directory `destination` (created;
  // it must not hold files of the same names). Refuses an entry that would
  // land outside `destination`. On Windows with .NET's
  // System.IO.Compression.ZipFile from PowerShell (Windows Server 2012 R2's
  // PowerShell 4 / .NET 4.5 on; Expand-Archive needs PowerShell 5). The
  // error says why (not a ZIP, an entry outside, disk full).
  [[nodiscard]] virtual absl::Status ExtractZip(
      absl::string_view archive, absl::string_view destination) = 0;

  // ---- Network ----

  // Whether an HTTPS GET of `url` gets any HTTP answer (as the sensor's
  // connectivity test does). `proxy` "host:port" sends it through that proxy;
  // "" uses what WinHTTP uses by default: the system WinHTTP proxy (netsh),
  // else direct access. The error says why not (DNS, TCP, TLS, proxy) and
  // names the proxy used.
  [[nodiscard]] virtual absl::Status CheckUrl(absl::string_view url,
                                              absl::string_view proxy) = 0;

  // The system WinHTTP proxy (`netsh winhttp show proxy`); an empty proxy
  // means direct access.
  [[nodiscard]] virtual absl::StatusOr<WinHttpProxy> GetWinHttpProxy() = 0;

  // The proxy Web Proxy Auto-Discovery finds for `url` (WPAD by DHCP and
  // DNS, then the PAC file it names: WinHttpGetProxyForUrl with
  // auto-detect), as the sensor tries after its static and WinHTTP
  // proxies. "" when discovery finds no PAC file or the PAC file says
  // DIRECT; errors only for a PAC file that cannot be used (message says
  // why).
  [[nodiscard]] virtual absl::StatusOr<std::string> DiscoverProxy(
      absl::string_view url) = 0;

  // ---- Defender Antivirus ----

  // Defender Antivirus' own status; nullopt when it does not answer (not
  // installed, its service stopped, or no such WMI class on this system).
  [[nodiscard]] virtual absl::StatusOr<std::optional<DefenderStatus>>
  GetDefenderStatus() = 0;

  // ---- Operating system ----

  // Product, version, build, names, reboot-pending flag, boot time, UTC
  // offset, identity.
  [[nodiscard]] virtual absl::StatusOr<OsInfo> GetOsInfo() = 0;

  // Schedules a restart of the machine after `delay`, recording `reason` as
  // the shutdown reason. Returns once scheduled.
  [[nodiscard]] virtual absl::Status Reboot(absl::string_view reason,
                                            absl::Duration delay) = 0;

  // ---- Secrets and state ----

  // Encrypts `plaintext` for this machine (DPAPI, machine scope, on Windows)
  // so it can be stored in the state directory. The result is opaque bytes.
  [[nodiscard]] virtual absl::StatusOr<std::string> ProtectSecret(
      absl::string_view plaintext) = 0;

  // Inverse of ProtectSecret. DataLoss when `protected_data` was not made by
  // this machine or was tampered with.
  [[nodiscard]] virtual absl::StatusOr<std::string> UnprotectSecret(
      absl::string_view protected_data) = 0;

  // The runner's private state directory (Windows path), readable only by
  // SYSTEM and Administrators: identity, journal, per-task work dirs.
  virtual std::string StateDirectory() const = 0;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_HOST_HOST_H_

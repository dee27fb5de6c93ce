#include "runner/host/windows/reboot.h"

#include <windows.h>
// windows.h first: these need its types.
#include <reason.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::win {
namespace {

// MAX_SHUTDOWN_TIMEOUT: ten years.
constexpr int64_t kMaxGraceSeconds = 10LL * 365 * 24 * 60 * 60;
// Well under the limit of the shutdown message box and the event log.
constexpr size_t kMaxMessageBytes = 512;

[[nodiscard]] absl::Status EnableShutdownPrivilege() {
  HANDLE raw = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(),
                        TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &raw)) {
    return LastErrorStatus("process token");
  }
  UniqueHandle token(raw);
  TOKEN_PRIVILEGES privileges = {};
  privileges.PrivilegeCount = 1;
  privileges.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
  if (!LookupPrivilegeValueW(nullptr, SE_SHUTDOWN_NAME,
                             &privileges.Privileges[0].Luid)) {
    return LastErrorStatus("SeShutdownPrivilege");
  }
  // AdjustTokenPrivileges succeeds even when it enabled nothing; the last
  // error says whether the token holds the privilege at all.
  if (!AdjustTokenPrivileges(token.get(), FALSE, &privileges, 0, nullptr,
                             nullptr)) {
    return LastErrorStatus("cannot enable SeShutdownPrivilege");
  }
  if (GetLastError() == ERROR_NOT_ALL_ASSIGNED) {
    return absl::PermissionDeniedError(
        "the runner's account does not hold SeShutdownPrivilege; run it as "
        "LocalSystem or an administrator");
  }
  return absl::OkStatus();
}

}  // namespace

uint32_t RestartReasonCode() {
  return SHTDN_REASON_MAJOR_APPLICATION | SHTDN_REASON_MINOR_MAINTENANCE |
         SHTDN_REASON_FLAG_PLANNED;
}

std::string RestartMessage(absl::string_view reason) {
  std::string message = absl::StrCat("mdefleet: ", reason);
  if (message.size() > kMaxMessageBytes) {
    // Cut before the character the first dropped byte belongs to.
    size_t cut = kMaxMessageBytes;
    while (cut > 0 &&
           (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    message.resize(cut);
  }
  return message;
}

absl::Status InitiateRestart(absl::string_view reason, absl::Duration delay) {
  RETURN_IF_ERROR(EnableShutdownPrivilege());
  const int64_t seconds =
      std::clamp<int64_t>(absl::ToInt64Seconds(delay), 0, kMaxGraceSeconds);
  std::wstring message = Utf8ToWide(RestartMessage(reason));
  // SHUTDOWN_FORCE_OTHERS: sessions of other users must not hold a server
  // restart hostage (as `shutdown /r /f`); they are warned for `delay`.
  const DWORD rc = InitiateShutdownW(
      nullptr, message.data(), static_cast<DWORD>(seconds),
      SHUTDOWN_RESTART | SHUTDOWN_FORCE_OTHERS, RestartReasonCode());
  if (rc == ERROR_SUCCESS || rc == ERROR_SHUTDOWN_IN_PROGRESS ||
      rc == kErrorShutdownIsScheduled) {
    return absl::OkStatus();
  }
  return Win32ErrorStatus(rc, "cannot schedule the restart");
}

}  // namespace mdefleet::runner::win

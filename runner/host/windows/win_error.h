// Win32 error codes (GetLastError(), LSTATUS, WinHTTP errors) as
// absl::Status: the message names the object concerned and the error by its
// Win32 name, e.g. "registry key HKLM\SOFTWARE\x: ERROR_ACCESS_DENIED (Access
// is denied.)", so an operator can search for it.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_WIN_ERROR_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_WIN_ERROR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mdefleet::runner::win {

// Win32 errors the mingw-w64 headers do not name.
inline constexpr uint32_t kErrorElevationRequired = 740;
inline constexpr uint32_t kErrorShutdownIsScheduled = 1190;

// The symbolic name of Win32 error `code` ("ERROR_ACCESS_DENIED",
// "ERROR_WINHTTP_CANNOT_CONNECT"), or "Win32 error 1234" / "HRESULT
// 0x80090005" for a code the table does not know.
std::string Win32ErrorName(uint32_t code);

// The system's text for `code` ("Access is denied."), trailing whitespace
// removed; "" when the system has none.
std::string Win32ErrorText(uint32_t code);

// The absl code an error maps to: NotFound for missing files, keys and
// services, PermissionDenied for access errors, InvalidArgument for bad names,
// Unavailable for sharing violations and network errors, and so on; Internal
// for anything else.
absl::StatusCode Win32ErrorToStatusCode(uint32_t code);

// "<what>: <NAME> (<text>)" with the mapped code. `code` must not be 0.
[[nodiscard]] absl::Status Win32ErrorStatus(uint32_t code,
                                            absl::string_view what);

// Win32ErrorStatus(GetLastError(), what). Call it right after the failing
// call, before anything else can overwrite the thread's last error.
[[nodiscard]] absl::Status LastErrorStatus(absl::string_view what);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_WIN_ERROR_H_

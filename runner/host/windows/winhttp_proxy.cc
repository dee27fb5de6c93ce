#include "runner/host/windows/winhttp_proxy.h"

#include <windows.h>
// windows.h first: this needs its types.
#include <winhttp.h>

#include "absl/strings/str_cat.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::win {

absl::StatusOr<WinHttpProxy> ReadWinHttpProxy() {
  WINHTTP_PROXY_INFO info = {};
  if (!WinHttpGetDefaultProxyConfiguration(&info)) {
    const DWORD error = GetLastError();
    return absl::UnavailableError(
        absl::StrCat("cannot read the system WinHTTP proxy "
                     "(WinHttpGetDefaultProxyConfiguration): ",
                     Win32ErrorName(error)));
  }
  // The strings are GlobalAlloc'ed; LocalFree frees those too.
  UniqueLocal<wchar_t> proxy(info.lpszProxy);
  UniqueLocal<wchar_t> bypass(info.lpszProxyBypass);
  WinHttpProxy out;
  // NO_PROXY (after `netsh winhttp reset proxy`) is direct access whatever
  // the strings hold.
  if (info.dwAccessType == WINHTTP_ACCESS_TYPE_NAMED_PROXY) {
    if (proxy) out.proxy = WideToUtf8(proxy.get());
    if (bypass) out.bypass = WideToUtf8(bypass.get());
  }
  return out;
}

}  // namespace mdefleet::runner::win

#include "runner/host/windows/wpad.h"

#include <windows.h>
// windows.h first: this needs its types.
#include <winhttp.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::win {
namespace {

struct InternetCloser {
  void operator()(HINTERNET h) const { WinHttpCloseHandle(h); }
};
using UniqueInternet = std::unique_ptr<void, InternetCloser>;

// WINHTTP_PROXY_INFO's strings belong to the caller (GlobalFree).
struct ProxyInfo {
  WINHTTP_PROXY_INFO info = {};
  ~ProxyInfo() {
    if (info.lpszProxy != nullptr) GlobalFree(info.lpszProxy);
    if (info.lpszProxyBypass != nullptr) GlobalFree(info.lpszProxyBypass);
  }
};

}  // namespace

absl::StatusOr<std::string> DiscoverProxyForUrl(absl::string_view url,
                                                absl::Duration timeout) {
  if (absl::Status s = CheckNoNul(url, "URL"); !s.ok()) return s;
  UniqueInternet session(
      WinHttpOpen(L"mdefleet-runner", WINHTTP_ACCESS_TYPE_NO_PROXY,
                  WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0));
  if (!session) return LastErrorStatus("WPAD: WinHttpOpen");
  const int ms = static_cast<int>(std::clamp<int64_t>(
      absl::ToInt64Milliseconds(timeout), 1, 10 * 60 * 1000));
  WinHttpSetTimeouts(session.get(), ms, ms, ms, ms);
  WINHTTP_AUTOPROXY_OPTIONS options = {};
  options.dwFlags = WINHTTP_AUTOPROXY_AUTO_DETECT;
  options.dwAutoDetectFlags =
      WINHTTP_AUTO_DETECT_TYPE_DHCP | WINHTTP_AUTO_DETECT_TYPE_DNS_A;
  // The machine account authenticates to an intranet PAC server.
  options.fAutoLogonIfChallenged = TRUE;
  ProxyInfo found;
  const std::wstring wide = Utf8ToWide(url);
  if (!WinHttpGetProxyForUrl(session.get(), wide.c_str(), &options,
                             &found.info)) {
    const DWORD error = GetLastError();
    // No WPAD on this network: the normal answer of most networks.
    if (error == ERROR_WINHTTP_AUTODETECTION_FAILED) return std::string();
    return absl::UnavailableError(
        absl::StrCat("WPAD auto-discovery failed: ", Win32ErrorName(error),
                     error == ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT
                         ? " - the PAC file could not be downloaded"
                     : error == ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT
                         ? " - the PAC file did not run"
                         : ""));
  }
  if (found.info.dwAccessType != WINHTTP_ACCESS_TYPE_NAMED_PROXY ||
      found.info.lpszProxy == nullptr) {
    return std::string();
  }
  // "a:8080; b:8080" (or with scheme prefixes): WinHTTP tries the first.
  const std::string list = WideToUtf8(found.info.lpszProxy);
  for (absl::string_view entry :
       absl::StrSplit(list, absl::ByAnyChar("; "), absl::SkipEmpty())) {
    absl::ConsumePrefix(&entry, "http=");
    absl::ConsumePrefix(&entry, "https=");
    return std::string(entry);
  }
  return std::string();
}

}  // namespace mdefleet::runner::win

#include "runner/host/windows/network.h"

#include <windows.h>
// windows.h first: this needs its types.
#include <wincrypt.h>
#include <winhttp.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runner/host/connectivity_messages.h"
#include "runner/host/defender_tls_roots.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"
#include "runner/host/windows/winhttp_proxy.h"

namespace mdefleet::runner::win {
namespace {

struct InternetCloser {
  void operator()(HINTERNET h) const { WinHttpCloseHandle(h); }
};
using UniqueInternet = std::unique_ptr<void, InternetCloser>;

// What an operator should look at for a WinHTTP error.
absl::string_view Meaning(DWORD error) {
  switch (error) {
    case ERROR_WINHTTP_NAME_NOT_RESOLVED:
      return "DNS: the host name (or the proxy's) does not resolve";
    case ERROR_WINHTTP_CANNOT_CONNECT:
      return "TCP: the connection was refused or could not be made "
             "(firewall, proxy)";
    case ERROR_WINHTTP_TIMEOUT:
      return "timed out (firewall dropping packets, proxy)";
    case ERROR_WINHTTP_CONNECTION_ERROR:
      return "the connection was reset (TLS inspection or a proxy may be "
             "interfering)";
    case ERROR_WINHTTP_SECURE_FAILURE:
    case ERROR_WINHTTP_SECURE_CHANNEL_ERROR:
    case ERROR_WINHTTP_SECURE_INVALID_CA:
    case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
    case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
    case ERROR_WINHTTP_SECURE_INVALID_CERT:
    case ERROR_WINHTTP_SECURE_CERT_REVOKED:
    case ERROR_WINHTTP_SECURE_CERT_REV_FAILED:
      return "TLS: the certificate or handshake was refused (TLS inspection, "
             "missing root CA, CRL unreachable)";
    case ERROR_WINHTTP_INVALID_SERVER_RESPONSE:
      return "the server's answer was not HTTP";
    default:
      return "";
  }
}

// "proxy host:port", "system WinHTTP proxy host:port" or "no proxy: direct
// access": what the request went through.
std::string ProxyDescription(const UrlCheckOptions& options) {
  if (!options.proxy.empty()) return absl::StrCat("proxy ", options.proxy);
  absl::StatusOr<WinHttpProxy> system = ReadWinHttpProxy();
  if (!system.ok()) return "system WinHTTP proxy unknown";
  if (system->proxy.empty()) return "no proxy: direct access";
  return absl::StrCat("system WinHTTP proxy ", system->proxy);
}

[[nodiscard]] absl::Status Failure(absl::string_view url, DWORD error,
                                   const UrlCheckOptions& options) {
  const absl::string_view meaning = Meaning(error);
  return absl::UnavailableError(
      absl::StrCat("cannot reach ", url, ": ", Win32ErrorName(error),
                   meaning.empty() ? "" : absl::StrCat(" - ", meaning), " (",
                   ProxyDescription(options), ")"));
}

struct CertificateFreer {
  void operator()(PCCERT_CONTEXT c) const { CertFreeCertificateContext(c); }
};
struct ChainFreer {
  void operator()(PCCERT_CHAIN_CONTEXT c) const { CertFreeCertificateChain(c); }
};

[[nodiscard]] absl::Status CertificateUnreadable(absl::string_view url,
                                                 absl::string_view what,
                                                 DWORD error) {
  return absl::UnavailableError(absl::StrCat(
      "cannot reach ", url, ": the server's certificate chain could not be ",
      what, " (", Win32ErrorName(error), ")"));
}

// The certificate WinHTTP accepted for `request` must chain to a root
// Microsoft's endpoints use; a TLS-inspecting proxy's own root (trusted on
// the machine, or WinHTTP would have refused the handshake) means the
// connection was decrypted and re-signed on the way.
[[nodiscard]] absl::Status CheckPublicRoot(HINTERNET request,
                                           absl::string_view url,
                                           const UrlCheckOptions& options) {
  PCCERT_CONTEXT server = nullptr;
  DWORD size = sizeof(server);
  if (!WinHttpQueryOption(request, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &server,
                          &size) ||
      server == nullptr) {
    return CertificateUnreadable(url, "read", GetLastError());
  }
  std::unique_ptr<const CERT_CONTEXT, CertificateFreer> owned(server);
  CERT_CHAIN_PARA para = {};
  para.cbSize = sizeof(para);
  PCCERT_CHAIN_CONTEXT chain = nullptr;
  if (!CertGetCertificateChain(nullptr, server, nullptr, server->hCertStore,
                               &para, 0, nullptr, &chain)) {
    return CertificateUnreadable(url, "built", GetLastError());
  }
  std::unique_ptr<const CERT_CHAIN_CONTEXT, ChainFreer> owned_chain(chain);
  if (chain->cChain == 0 || chain->rgpChain[0]->cElement == 0) {
    return CertificateUnreadable(url, "built", ERROR_INVALID_DATA);
  }
  const CERT_SIMPLE_CHAIN* simple = chain->rgpChain[0];
  PCCERT_CONTEXT root = simple->rgpElement[simple->cElement - 1]->pCertContext;
  BYTE hash[20];
  DWORD hash_size = sizeof(hash);
  if (!CertGetCertificateContextProperty(root, CERT_SHA1_HASH_PROP_ID, hash,
                                         &hash_size) ||
      hash_size != sizeof(hash)) {
    return CertificateUnreadable(url, "read", GetLastError());
  }
  std::string sha1;
  for (BYTE b : hash) absl::StrAppendFormat(&sha1, "%02X", b);
  if (IsDefenderPublicRoot(sha1, options.extra_trusted_roots)) {
    return absl::OkStatus();
  }
  wchar_t name[256] = {};
  CertGetNameStringW(root, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0, nullptr, name,
                     static_cast<DWORD>(std::size(name)));
  return absl::UnavailableError(TlsInspectionMessage(
      url, absl::StrCat(WideToUtf8(name), " (SHA-1 ", sha1, ")"),
      ProxyDescription(options)));
}

int TimeoutMillis(absl::Duration timeout) {
  return static_cast<int>(std::clamp<int64_t>(
      absl::ToInt64Milliseconds(timeout), 1, 10 * 60 * 1000));
}

}  // namespace

absl::Status CheckUrlReachable(absl::string_view url,
                               const UrlCheckOptions& options) {
  const bool https = absl::StartsWithIgnoreCase(url, "https://");
  const bool http = absl::StartsWithIgnoreCase(url, "http://");
  if (!https && !(http && options.allow_http)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", url, "\" is not an https:// URL"));
  }
  if (absl::Status s = CheckNoNul(url, "URL"); !s.ok()) return s;
  const std::wstring wide = Utf8ToWide(url);
  URL_COMPONENTS parts = {};
  parts.dwStructSize = sizeof(parts);
  // -1: point into `wide` instead of copying.
  parts.dwHostNameLength = static_cast<DWORD>(-1);
  parts.dwUrlPathLength = static_cast<DWORD>(-1);
  parts.dwExtraInfoLength = static_cast<DWORD>(-1);
  if (!WinHttpCrackUrl(wide.c_str(), static_cast<DWORD>(wide.size()), 0,
                       &parts) ||
      parts.dwHostNameLength == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", url, "\" is not a valid URL"));
  }
  const std::wstring host(parts.lpszHostName, parts.dwHostNameLength);
  std::wstring path(parts.lpszUrlPath, parts.dwUrlPathLength);
  path.append(parts.lpszExtraInfo, parts.dwExtraInfoLength);
  if (path.empty()) path = L"/";

  if (!options.proxy.empty()) {
    if (absl::Status s = CheckNoNul(options.proxy, "proxy"); !s.ok()) return s;
  }
  const std::wstring proxy = Utf8ToWide(options.proxy);
  // A named proxy as the sensor uses its TelemetryProxyServer; otherwise
  // WINHTTP_ACCESS_TYPE_DEFAULT_PROXY: the proxy of `netsh winhttp`, as the
  // sensor falls back to (not the logged-on user's Internet Options).
  UniqueInternet session(
      proxy.empty()
          ? WinHttpOpen(L"mdefleet-runner", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY,
                        WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0)
          : WinHttpOpen(L"mdefleet-runner", WINHTTP_ACCESS_TYPE_NAMED_PROXY,
                        proxy.c_str(), WINHTTP_NO_PROXY_BYPASS, 0));
  if (!session) return Failure(url, GetLastError(), options);
  const int ms = TimeoutMillis(options.timeout);
  WinHttpSetTimeouts(session.get(), ms, ms, ms, ms);
  UniqueInternet connection(
      WinHttpConnect(session.get(), host.c_str(), parts.nPort, 0));
  if (!connection) return Failure(url, GetLastError(), options);
  UniqueInternet request(WinHttpOpenRequest(
      connection.get(), L"GET", path.c_str(), nullptr, WINHTTP_NO_REFERER,
      WINHTTP_DEFAULT_ACCEPT_TYPES,
      parts.nScheme == INTERNET_SCHEME_HTTPS ? WINHTTP_FLAG_SECURE : 0));
  if (!request) return Failure(url, GetLastError(), options);
  // A redirect is an answer too; following it would test another server.
  DWORD disable = WINHTTP_DISABLE_REDIRECTS;
  WinHttpSetOption(request.get(), WINHTTP_OPTION_DISABLE_FEATURE, &disable,
                   sizeof(disable));
  if (!WinHttpSendRequest(request.get(), WINHTTP_NO_ADDITIONAL_HEADERS, 0,
                          WINHTTP_NO_REQUEST_DATA, 0, 0, 0) ||
      !WinHttpReceiveResponse(request.get(), nullptr)) {
    return Failure(url, GetLastError(), options);
  }
  // Any answer of the service counts, as for the sensor's own test; a
  // proxy's 407 (the sensor, as LocalSystem, sends no credentials) and a
  // proxy's 403 do not: they come from the way, not from Defender.
  DWORD status = 0;
  DWORD size = sizeof(status);
  if (WinHttpQueryHeaders(request.get(),
                          WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                          WINHTTP_HEADER_NAME_BY_INDEX, &status, &size,
                          WINHTTP_NO_HEADER_INDEX)) {
    const std::string via = ProxyDescription(options);
    const bool proxied = !absl::StartsWith(via, "no proxy");
    if (status == HTTP_STATUS_PROXY_AUTH_REQ) {
      return absl::UnavailableError(ProxyAuthenticationMessage(url, via));
    }
    if (status == HTTP_STATUS_FORBIDDEN && proxied) {
      return absl::UnavailableError(ProxyRefusedMessage(url, via));
    }
  }
  if (parts.nScheme == INTERNET_SCHEME_HTTPS) {
    return CheckPublicRoot(request.get(), url, options);
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::runner::win

// wine_setup.exe: prepares a Wine prefix for the Windows end-to-end test
// (wine_runner_e2e_test.cc) the way an administrator prepares a server,
// with the Win32 calls Windows offers for it:
//
//   wine_setup.exe trust-root FILE.pem   add a CA to the machine's trusted
//                                        roots (LocalMachine\Root)
//   wine_setup.exe winhttp-proxy HOST:PORT
//                                        set the machine's WinHTTP proxy
//                                        (what `netsh winhttp set proxy`
//                                        does; Wine's netsh lacks it)
//   wine_setup.exe check-url URL [SHA1,...]
//                                        WindowsHost's connectivity check
//                                        (runner/host/windows/network.h),
//                                        accepting these extra roots
//
// A test helper, never shipped. Exit code 0 on success, 1 with a message.
#include <windows.h>
// windows.h first: these need its types.
#include <wincrypt.h>
#include <winhttp.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runner/host/defender_tls_roots.h"
#include "runner/host/windows/network.h"

namespace {

int Fail(const char* what, DWORD error) {
  std::fprintf(stderr, "wine_setup: %s failed (error %lu)\n", what,
               static_cast<unsigned long>(error));
  return 1;
}

int TrustRoot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "wine_setup: cannot read %s\n", path.c_str());
    return 1;
  }
  std::stringstream pem;
  pem << in.rdbuf();
  const std::string text = pem.str();
  DWORD size = 0;
  if (!CryptStringToBinaryA(text.c_str(), 0, CRYPT_STRING_BASE64HEADER, nullptr,
                            &size, nullptr, nullptr)) {
    return Fail("CryptStringToBinaryA", GetLastError());
  }
  std::vector<BYTE> der(size);
  if (!CryptStringToBinaryA(text.c_str(), 0, CRYPT_STRING_BASE64HEADER,
                            der.data(), &size, nullptr, nullptr)) {
    return Fail("CryptStringToBinaryA", GetLastError());
  }
  HCERTSTORE store = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                                   CERT_SYSTEM_STORE_LOCAL_MACHINE, L"Root");
  if (store == nullptr)
    return Fail("CertOpenStore(LocalMachine\\Root)", GetLastError());
  const BOOL added = CertAddEncodedCertificateToStore(
      store, X509_ASN_ENCODING, der.data(), size,
      CERT_STORE_ADD_REPLACE_EXISTING, nullptr);
  const DWORD error = GetLastError();
  CertCloseStore(store, 0);
  if (!added) return Fail("CertAddEncodedCertificateToStore", error);
  std::printf("trusted %s\n", path.c_str());
  return 0;
}

int SetWinHttpProxy(const std::string& proxy) {
  std::wstring wide(proxy.begin(), proxy.end());
  std::wstring bypass = L"<local>";
  WINHTTP_PROXY_INFO info = {};
  info.dwAccessType = WINHTTP_ACCESS_TYPE_NAMED_PROXY;
  info.lpszProxy = wide.data();
  info.lpszProxyBypass = bypass.data();
  if (!WinHttpSetDefaultProxyConfiguration(&info)) {
    return Fail("WinHttpSetDefaultProxyConfiguration", GetLastError());
  }
  std::printf("WinHTTP proxy %s\n", proxy.c_str());
  return 0;
}

int CheckUrl(const std::string& url, const std::string& roots) {
  mdefleet::runner::win::UrlCheckOptions options;
  auto extra = mdefleet::runner::ParseThumbprintList(roots);
  if (!extra.ok()) {
    std::fprintf(stderr, "wine_setup: %s\n",
                 std::string(extra.status().message()).c_str());
    return 2;
  }
  options.extra_trusted_roots = *std::move(extra);
  absl::Status s = mdefleet::runner::win::CheckUrlReachable(url, options);
  if (!s.ok()) {
    std::printf("%s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("reachable %s\n", url.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if ((argc == 3 || argc == 4) && std::string(argv[1]) == "check-url") {
    return CheckUrl(argv[2], argc == 4 ? argv[3] : "");
  }
  if (argc == 3 && std::string(argv[1]) == "trust-root") {
    return TrustRoot(argv[2]);
  }
  if (argc == 3 && std::string(argv[1]) == "winhttp-proxy") {
    return SetWinHttpProxy(argv[2]);
  }
  std::fprintf(stderr,
               "usage: wine_setup.exe trust-root FILE.pem | winhttp-proxy "
               "HOST:PORT | check-url URL [SHA1,...]\n");
  return 2;
}

// The system WinHTTP proxy under Wine/Windows: read back what
// WinHttpSetDefaultProxyConfiguration (what `netsh winhttp set proxy` calls)
// stored, and CheckUrl with no proxy going through it. The machine's setting
// is restored after each test; the bypass list keeps loopback direct so other
// tests running at the same time are not sent through the test proxy.
#include "runner/host/windows/winhttp_proxy.h"

#include <winsock2.h>
// winsock2.h before windows.h.
#include <windows.h>
#include <winhttp.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::HasSubstr;

bool SetSystemProxy(const std::wstring& proxy, const std::wstring& bypass) {
  WINHTTP_PROXY_INFO info = {};
  info.dwAccessType = proxy.empty() ? WINHTTP_ACCESS_TYPE_NO_PROXY
                                    : WINHTTP_ACCESS_TYPE_NAMED_PROXY;
  info.lpszProxy =
      proxy.empty() ? nullptr : const_cast<wchar_t*>(proxy.c_str());
  info.lpszProxyBypass =
      bypass.empty() ? nullptr : const_cast<wchar_t*>(bypass.c_str());
  return WinHttpSetDefaultProxyConfiguration(&info) != FALSE;
}

class WinHttpProxyTest : public ::mdefleet::testing::WindowsHostTest {
 protected:
  void Configure(WindowsHostOptions& options) override {
    options.allow_http_for_test = true;
  }
  void SetUp() override {
    auto saved = ReadWinHttpProxy();
    ASSERT_TRUE(saved.ok()) << saved.status();
    saved_ = *saved;
    WindowsHostTest::SetUp();
  }
  void TearDown() override {
    EXPECT_TRUE(
        SetSystemProxy(Utf8ToWide(saved_.proxy), Utf8ToWide(saved_.bypass)));
  }

  WinHttpProxy saved_;
};

TEST_F(WinHttpProxyTest, ReadsANamedProxyAndDirectAccess) {
  ASSERT_TRUE(SetSystemProxy(L"10.0.0.6:8080", L"<local>;127.0.0.1;*.corp"));
  auto named = host_->GetWinHttpProxy();
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->proxy, "10.0.0.6:8080");
  EXPECT_EQ(named->bypass, "<local>;127.0.0.1;*.corp");

  ASSERT_TRUE(SetSystemProxy(L"", L""));
  auto direct = ReadWinHttpProxy();
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(direct->proxy, "");
  EXPECT_EQ(direct->bypass, "");
}

// With no proxy given, CheckUrl goes where WinHTTP's default goes: the
// system proxy. A listener plays that proxy; the URL's host does not resolve.
TEST_F(WinHttpProxyTest, CheckUrlWithoutAProxyUsesTheSystemProxy) {
  WSADATA data;
  ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(
      bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
      0);
  ASSERT_EQ(listen(listener, 2), 0);
  int length = sizeof(address);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string proxy = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  std::string request;
  std::thread server([&] {
    SOCKET client = accept(listener, nullptr, nullptr);
    if (client == INVALID_SOCKET) return;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const int n = recv(client, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      request.append(buffer, n);
    }
    const std::string response =
        "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: "
        "close\r\n\r\n";
    send(client, response.data(), static_cast<int>(response.size()), 0);
    shutdown(client, SD_SEND);
    closesocket(client);
  });
  ASSERT_TRUE(SetSystemProxy(Utf8ToWide(proxy), L"<local>;127.0.0.1"));
  absl::Status s = host_->CheckUrl("http://mde-endpoint.invalid/test", "");
  ASSERT_TRUE(
      SetSystemProxy(Utf8ToWide(saved_.proxy), Utf8ToWide(saved_.bypass)));
  if (!s.ok()) {
    // Unblock the accept() so the thread ends.
    closesocket(listener);
    listener = INVALID_SOCKET;
  }
  server.join();
  if (listener != INVALID_SOCKET) closesocket(listener);
  WSACleanup();
  EXPECT_TRUE(s.ok()) << s;
  // The absolute form a proxy gets (Wine adds ":80", Windows does not).
  EXPECT_THAT(
      request,
      ::testing::AllOf(::testing::StartsWith("GET http://mde-endpoint.invalid"),
                       HasSubstr("/test HTTP/1.1\r\n"),
                       HasSubstr("\r\nHost: mde-endpoint.invalid\r\n")));
}

}  // namespace
}  // namespace mdefleet::runner::win

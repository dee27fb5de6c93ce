// CheckUrl with WinHTTP against a plain-HTTP server on loopback (port 0,
// picked by the system), a closed port and a name that cannot resolve. TLS
// and the real Defender endpoints are not reachable from the test machine;
// the https:// path differs only in WINHTTP_FLAG_SECURE.
#include "runner/host/windows/network.h"

#include <winsock2.h>
// winsock2.h before windows.h.
#include <windows.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::HasSubstr;

// A loopback listener on a system-chosen port.
class Listener {
 public:
  Listener() {
    WSADATA data;
    EXPECT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    socket_ = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    EXPECT_EQ(
        bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
        0);
    EXPECT_EQ(listen(socket_, 4), 0);
    int length = sizeof(address);
    getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() {
    Close();
    WSACleanup();
  }

  // Answers one request with `status_line` on a thread of its own.
  void ServeOnce(std::string status_line) {
    server_ = std::thread([this, status_line] {
      SOCKET client = accept(socket_, nullptr, nullptr);
      if (client == INVALID_SOCKET) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const int n = recv(client, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        request.append(buffer, n);
      }
      {
        absl::MutexLock lock(&mu_);
        request_ = request;
      }
      const std::string response =
          absl::StrCat("HTTP/1.1 ", status_line,
                       "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      send(client, response.data(), static_cast<int>(response.size()), 0);
      shutdown(client, SD_SEND);
      closesocket(client);
    });
  }

  void Close() {
    if (server_.joinable()) server_.join();
    if (socket_ != INVALID_SOCKET) closesocket(socket_);
    socket_ = INVALID_SOCKET;
  }

  int port() const { return port_; }
  // What the last client sent (request line and headers).
  std::string request() const {
    absl::MutexLock lock(&mu_);
    return request_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string request_;
  SOCKET socket_ = INVALID_SOCKET;
  int port_ = 0;
  std::thread server_;
};

class NetworkTest : public ::mdefleet::testing::WindowsHostTest {
 protected:
  void Configure(WindowsHostOptions& options) override {
    options.allow_http_for_test = true;
  }
};

TEST_F(NetworkTest, AnyHttpAnswerIsReachable) {
  Listener listener;
  // The sensor's test URL answers with an error status too; what counts is
  // that an HTTP server answered.
  listener.ServeOnce("404 Not Found");
  EXPECT_TRUE(
      host_
          ->CheckUrl(
              absl::StrCat("http://127.0.0.1:", listener.port(), "/test"), "")
          .ok());
  listener.Close();
}

TEST_F(NetworkTest, ARedirectIsAnAnswerAndIsNotFollowed) {
  Listener listener;
  listener.ServeOnce("302 Found\r\nLocation: http://127.0.0.1:1/elsewhere");
  EXPECT_TRUE(
      host_
          ->CheckUrl(absl::StrCat("http://127.0.0.1:", listener.port(), "/"),
                     "")
          .ok());
  listener.Close();
}

TEST_F(NetworkTest, ClosedPortIsUnavailableNamingTheError) {
  int port = 0;
  {
    Listener listener;  // take a free port, then close it
    port = listener.port();
  }
  const std::string url = absl::StrCat("http://127.0.0.1:", port, "/test");
  absl::Status s = host_->CheckUrl(url, "");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr(url));
  EXPECT_THAT(s.message(), HasSubstr("ERROR_WINHTTP_CANNOT_CONNECT"));
  // What the request went through: the system proxy or none.
  EXPECT_THAT(s.message(),
              ::testing::AnyOf(HasSubstr("no proxy: direct access"),
                               HasSubstr("system WinHTTP proxy")));
}

TEST_F(NetworkTest, UnresolvableNameIsUnavailable) {
  absl::Status s = host_->CheckUrl("https://no-such-host.invalid/test", "");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("ERROR_WINHTTP_"));
}

// The sensor's static proxy: WINHTTP_ACCESS_TYPE_NAMED_PROXY. The listener
// plays the proxy; the URL's host does not resolve, so an answer can only
// have come through it, and it sees the absolute URL a proxy gets.
TEST_F(NetworkTest, ThroughANamedProxy) {
  Listener proxy;
  proxy.ServeOnce("200 OK");
  const std::string via = absl::StrCat("127.0.0.1:", proxy.port());
  absl::Status s = host_->CheckUrl("http://mde-endpoint.invalid/test", via);
  proxy.Close();
  EXPECT_TRUE(s.ok()) << s;
  // The absolute form a proxy gets (Wine adds ":80", Windows does not).
  EXPECT_THAT(
      proxy.request(),
      ::testing::AllOf(::testing::StartsWith("GET http://mde-endpoint.invalid"),
                       HasSubstr("/test HTTP/1.1\r\n"),
                       HasSubstr("\r\nHost: mde-endpoint.invalid\r\n")));
}

// A proxy that wants credentials: LocalSystem's sensor would never get
// through it, so an HTTP answer is not "reachable" here.
TEST_F(NetworkTest, AProxysAuthenticationDemandIsAFailure) {
  Listener proxy;
  proxy.ServeOnce(
      "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
      "realm=\"corp\"");
  const std::string via = absl::StrCat("127.0.0.1:", proxy.port());
  absl::Status s = host_->CheckUrl("http://mde-endpoint.invalid/test", via);
  proxy.Close();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("HTTP 407 Proxy Authentication Required"));
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("proxy ", via)));
  EXPECT_THAT(s.message(), HasSubstr("LocalSystem"));
}

TEST_F(NetworkTest, AProxysRefusalIsAFailure) {
  Listener proxy;
  proxy.ServeOnce("403 Forbidden");
  const std::string via = absl::StrCat("127.0.0.1:", proxy.port());
  absl::Status s = host_->CheckUrl("http://mde-endpoint.invalid/test", via);
  proxy.Close();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("HTTP 403 Forbidden from proxy"));
}

// Without a proxy a 403 is the service's own answer: reachable.
TEST_F(NetworkTest, AServicesForbiddenIsAnAnswer) {
  Listener listener;
  listener.ServeOnce("403 Forbidden");
  absl::Status s = host_->CheckUrl(
      absl::StrCat("http://127.0.0.1:", listener.port(), "/test"), "");
  listener.Close();
  EXPECT_TRUE(s.ok()) << s;
}

// Wine has no WPAD server to find here: discovery says "no proxy" (or
// names why not) instead of hanging or failing the check.
TEST_F(NetworkTest, DiscoveryWithoutWpadFindsNoProxy) {
  absl::StatusOr<std::string> found =
      host_->DiscoverProxy("https://winatp-gw-cus.microsoft.com/test");
  if (found.ok()) {
    EXPECT_EQ(*found, "");
  } else {
    EXPECT_THAT(found.status().message(), HasSubstr("WPAD"));
  }
}

// No Defender Antivirus answers under Wine (no MSFT_MpComputerStatus):
// "no answer", which the facts turn into the registry's view.
TEST_F(NetworkTest, DefenderStatusWithoutDefenderIsNoAnswer) {
  absl::StatusOr<std::optional<DefenderStatus>> status =
      host_->GetDefenderStatus();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->has_value());
}

TEST_F(NetworkTest, AProxyThatIsNotThereIsNamed) {
  int port = 0;
  {
    Listener listener;
    port = listener.port();
  }
  const std::string via = absl::StrCat("127.0.0.1:", port);
  absl::Status s = host_->CheckUrl("http://mde-endpoint.invalid/test", via);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("cannot reach "
                                     "http://mde-endpoint.invalid/test: "
                                     "ERROR_WINHTTP_"));
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("(proxy ", via, ")")));
}

TEST_F(NetworkTest, OnlyHttpsByDefault) {
  UrlCheckOptions product;  // what WindowsHost uses outside tests
  EXPECT_EQ(CheckUrlReachable("http://127.0.0.1/", product).code(),
            absl::StatusCode::kInvalidArgument);
  for (const char* bad : {"ftp://x/", "https://", "not a url"}) {
    EXPECT_EQ(host_->CheckUrl(bad, "").code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace mdefleet::runner::win

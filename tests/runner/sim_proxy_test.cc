// The simulated server's proxy model: the "proxy=host:port" profile (out
// only through that proxy), netsh winhttp with the real output and exit
// codes, the WinHTTP proxy surviving a runner restart, Install.ps1's
// connectivity test behind the proxy.
#include <string>

#include "common/install_ps1.h"
#include "common/proxy_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/host/sim/sim_profile.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using ::testing::HasSubstr;
using testing::MakeSim;
using testing::Req;

constexpr char kNetsh[] = "C:\\Windows\\System32\\netsh.exe";
constexpr char kUrl[] = "https://winatp-gw-cus.microsoft.com/test";

TEST(SimProxyProfile, ParsesAndRoundTrips) {
  auto p = sim::ParseSimProfile("ws2019+proxy=10.0.0.6:8080");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->proxy, "10.0.0.6:8080");
  EXPECT_EQ(sim::FormatSimProfile(*p), "ws2019+proxy=10.0.0.6:8080");
  auto v6 = sim::ParseSimProfile("ws2016+mma+proxy=[fd00::6]:3128");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(sim::ParseSimProfile(sim::FormatSimProfile(*v6))->proxy,
            "[fd00::6]:3128");
  auto bad = sim::ParseSimProfile("ws2019+proxy=10.0.0.6");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("simulate profile \"ws2019+proxy=10.0.0.6\": proxy: "
                        "\"10.0.0.6\" has no port"));
}

TEST(SimProxyProfile, WpadProxyAuthTlsInspectAndSenseStart) {
  auto p = sim::ParseSimProfile(
      "ws2019+proxy=10.0.0.6:8080+wpad+proxyauth+tlsinspect+sensestart=30");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->wpad && p->proxy_auth && p->tls_inspection);
  EXPECT_EQ(p->sense_start_seconds, 30);
  EXPECT_EQ(sim::FormatSimProfile(*p),
            "ws2019+proxy=10.0.0.6:8080+wpad+proxyauth+tlsinspect+"
            "sensestart=30");
  EXPECT_THAT(sim::ParseSimProfile("ws2019+wpad").status().message(),
              HasSubstr("wpad needs proxy=host:port"));
  EXPECT_THAT(sim::ParseSimProfile("ws2019+sensestart=x").status().message(),
              HasSubstr("sensestart \"x\" is not a number of seconds"));
}

TEST(SimProxyProfile, AllowListFirewall) {
  auto p = sim::ParseSimProfile(
      "ws2022+allow=endpoint.security.microsoft.com+allow=go.microsoft.com");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(sim::FormatSimProfile(*p),
            "ws2022+allow=endpoint.security.microsoft.com+"
            "allow=go.microsoft.com");
  EXPECT_THAT(sim::ParseSimProfile("ws2022+allow=").status().message(),
              HasSubstr("allow \"\" is not a domain name"));
  EXPECT_THAT(sim::ParseSimProfile("ws2022+allow=a/b").status().message(),
              HasSubstr("allow \"a/b\" is not a domain name"));

  TempDir dir;
  auto host =
      MakeSim("ws2022+allow=endpoint.security.microsoft.com", dir.path());
  EXPECT_TRUE(host->CheckUrl("https://edr-weu.eu.endpoint.security.microsoft."
                             "com/edr/commands/test",
                             "")
                  .ok());
  // Revocation lists are plain HTTP and always let out.
  EXPECT_TRUE(
      host->CheckUrl("http://crl.microsoft.com/pki/crl/products/", "").ok());
  absl::Status other = host->CheckUrl(kUrl, "");
  EXPECT_TRUE(absl::IsUnavailable(other));
  EXPECT_THAT(other.message(), HasSubstr("the firewall lets HTTPS out only to "
                                         "endpoint.security.microsoft.com"));
  // A look-alike host is not in the domain.
  EXPECT_FALSE(
      host->CheckUrl("https://evilendpoint.security.microsoft.com/", "").ok());
}

TEST(SimProxyProfile, FleetMixHasNoProxy) {
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(sim::FleetMemberAt(i).profile.proxy, "") << i;
  }
}

TEST(SimNetwork, ProxiedNetworkLetsOnlyItsProxyOut) {
  TempDir dir;
  auto host = MakeSim("ws2022+proxy=10.0.0.6:8080", dir.path());
  absl::Status direct = host->CheckUrl(kUrl, "");
  EXPECT_TRUE(absl::IsUnavailable(direct));
  EXPECT_EQ(direct.message(),
            std::string("cannot reach ") + kUrl +
                ": ERROR_WINHTTP_TIMEOUT - timed out (firewall dropping "
                "packets, proxy) (no proxy: direct access)");
  EXPECT_TRUE(host->CheckUrl(kUrl, "10.0.0.6:8080").ok());
  EXPECT_TRUE(host->CheckUrl(kUrl, "10.0.0.6:8080").ok());
  absl::Status wrong = host->CheckUrl(kUrl, "10.0.0.7:8080");
  EXPECT_THAT(wrong.message(), HasSubstr("ERROR_WINHTTP_CANNOT_CONNECT"));
  EXPECT_THAT(wrong.message(), HasSubstr("(proxy 10.0.0.7:8080)"));
}

TEST(SimNetwork, DirectNetworkHasNoProxy) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  EXPECT_TRUE(host->CheckUrl(kUrl, "").ok());
  absl::Status via = host->CheckUrl(kUrl, "10.0.0.6:8080");
  EXPECT_THAT(via.message(), HasSubstr("ERROR_WINHTTP_CANNOT_CONNECT"));
  auto noconn = MakeSim("ws2019+noconn", dir.path() + "/b");
  EXPECT_THAT(noconn->CheckUrl(kUrl, "").message(),
              HasSubstr("no internet connectivity"));
}

// Plain HTTP reaches the certificate revocation endpoints only, as the
// WindowsHost allows (common/url_list.h).
TEST(SimNetwork, PlainHttpOnlyToRevocationEndpoints) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  EXPECT_TRUE(host->CheckUrl("http://crl.microsoft.com/pki/crl/", "").ok());
  absl::Status other =
      host->CheckUrl("http://winatp-gw-cus.microsoft.com/test", "");
  EXPECT_EQ(other.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(other.message(), HasSubstr("is not an https:// URL"));
}

TEST(SimNetsh, SetShowResetWithTheRealOutput) {
  TempDir dir;
  auto host = MakeSim("ws2019+proxy=10.0.0.6:8080", dir.path());
  auto show = host->RunProcess(Req(kNetsh, {"winhttp", "show", "proxy"}));
  ASSERT_TRUE(show.ok()) << show.status();
  EXPECT_EQ(show->exit_code, 0);
  EXPECT_EQ(show->stdout_text,
            "\r\nCurrent WinHTTP proxy settings:\r\n\r\n"
            "    Direct access (no proxy server).\r\n\r\n");

  auto set = host->RunProcess(
      Req(kNetsh, {"winhttp", "set", "proxy", "proxy-server=10.0.0.6:8080",
                   "bypass-list=<local>;*.corp"}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->exit_code, 0);
  EXPECT_EQ(set->stdout_text,
            "\r\nCurrent WinHTTP proxy settings:\r\n\r\n"
            "    Proxy Server(s) :  10.0.0.6:8080\r\n"
            "    Bypass List     :  <local>;*.corp\r\n\r\n");
  auto winhttp = host->GetWinHttpProxy();
  ASSERT_TRUE(winhttp.ok());
  EXPECT_EQ(winhttp->proxy, "10.0.0.6:8080");
  EXPECT_EQ(winhttp->bypass, "<local>;*.corp");
  // WinHTTP's default now goes through the proxy; bypassed names do not.
  EXPECT_TRUE(host->CheckUrl(kUrl, "").ok());
  EXPECT_THAT(host->CheckUrl("https://intranet.corp/", "").message(),
              HasSubstr("no proxy: direct access"));

  // Positional form, no bypass list.
  set = host->RunProcess(Req(kNetsh, {"winhttp", "set", "proxy", "p:80"}));
  EXPECT_EQ(set->exit_code, 0);
  EXPECT_THAT(set->stdout_text, HasSubstr("Bypass List     :  (none)"));

  auto reset = host->RunProcess(Req(kNetsh, {"winhttp", "reset", "proxy"}));
  EXPECT_EQ(reset->exit_code, 0);
  EXPECT_THAT(reset->stdout_text,
              HasSubstr("Direct access (no proxy server)."));
  EXPECT_EQ(host->GetWinHttpProxy()->proxy, "");
  EXPECT_FALSE(host->CheckUrl(kUrl, "").ok());
}

TEST(SimNetsh, SyntaxErrorsExitOne) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  auto missing = host->RunProcess(Req(kNetsh, {"winhttp", "set", "proxy"}));
  EXPECT_EQ(missing->exit_code, 1);
  EXPECT_THAT(missing->stdout_text,
              HasSubstr("The syntax supplied for this command is not valid"));
  EXPECT_THAT(missing->stdout_text, HasSubstr("Usage:  set proxy"));
  auto unknown = host->RunProcess(Req(kNetsh, {"winhttp", "bogus", "proxy"}));
  EXPECT_EQ(unknown->exit_code, 1);
  EXPECT_EQ(unknown->stdout_text,
            "The following command was not found: winhttp bogus proxy.\r\n");
  EXPECT_EQ(host->RunProcess(Req(kNetsh, {"interface", "show"}))->exit_code, 1);
  EXPECT_EQ(host->GetWinHttpProxy()->proxy, "");
}

TEST(SimNetsh, WinHttpProxySurvivesARunnerRestart) {
  TempDir dir;
  {
    auto host = MakeSim("ws2016", dir.path());
    ASSERT_EQ(host->RunProcess(Req(kNetsh, {"winhttp", "set", "proxy",
                                            "10.0.0.6:8080", "<local>"}))
                  ->exit_code,
              0);
  }
  auto again = MakeSim("ws2016", dir.path());
  auto winhttp = again->GetWinHttpProxy();
  ASSERT_TRUE(winhttp.ok());
  EXPECT_EQ(winhttp->proxy, "10.0.0.6:8080");
  EXPECT_EQ(winhttp->bypass, "<local>");
}

// Install.ps1 tests connectivity as the sensor connects: through the EDR
// static proxy, else the WinHTTP proxy.
TEST(SimInstallPs1, ConnectivityTestGoesThroughTheConfiguredProxy) {
  TempDir dir;
  auto host = MakeSim("ws2016+proxy=10.0.0.6:8080", dir.path());
  const std::string work = "C:\\work";
  ASSERT_TRUE(host->CreateDirectories(work).ok());
  ASSERT_TRUE(
      host->WriteFile(work + "\\Install.ps1", testing::InstallPs1Content())
          .ok());
  ASSERT_TRUE(
      host->WriteFile(work + "\\md4ws.msi", testing::MsiContent()).ok());
  const ProcessRequest install =
      Req(testing::kPowerShell, {"-File", work + "\\Install.ps1"});
  auto blocked = host->RunProcess(install);
  ASSERT_TRUE(blocked.ok());
  EXPECT_EQ(blocked->exit_code, install_ps1::kNoConnectivity);
  EXPECT_THAT(blocked->stderr_text, HasSubstr("no proxy: direct access"));

  ASSERT_TRUE(host->WriteValue(proxy::kDataCollectionKey,
                               proxy::kTelemetryProxyServerValue,
                               std::string("10.0.0.6:8080"))
                  .ok());
  auto through = host->RunProcess(install);
  ASSERT_TRUE(through.ok());
  EXPECT_EQ(through->exit_code, 0) << through->stderr_text;
}

}  // namespace
}  // namespace mdefleet::runner

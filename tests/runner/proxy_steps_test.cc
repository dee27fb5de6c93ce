// The executor's proxy actions on a simulated server: check_url through the
// configured proxy (EDR static proxy, else WinHTTP, else direct) naming URL
// and proxy, and check_winhttp_proxy reading back netsh's setting.
#include <memory>
#include <string>

#include "common/proxy_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/executor/step_executor.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::FakeFetcher;
using ::testing::HasSubstr;
using testing::MakeSim;
using testing::Req;

using testing::kWork;
constexpr char kNetsh[] = "C:\\Windows\\System32\\netsh.exe";
constexpr char kUrl[] = "https://winatp-gw-cus.microsoft.com/test";

class ProxyStepsTest : public ::testing::Test {
 protected:
  void Start(const std::string& profile) {
    host_ = MakeSim(profile, dir_.path());
    ASSERT_TRUE(host_->CreateDirectories(kWork).ok());
    executor_ =
        std::make_unique<StepExecutor>(*host_, fetcher_, *Clock::Real(), kWork);
  }
  StepResult CheckUrl(const std::string& url) {
    v1::PlannedStep step;
    step.set_name("check_url_01");
    step.mutable_action()->mutable_check_url()->set_url(url);
    step.mutable_action()->mutable_check_url()->set_via_configured_proxy(true);
    return executor_->Execute(step);
  }
  StepResult CheckWinHttp(const std::string& proxy, const std::string& bypass,
                          const std::string& mismatch = "") {
    v1::PlannedStep step;
    step.set_name("verify_winhttp_proxy");
    auto* check = step.mutable_action()->mutable_check_winhttp_proxy();
    check->set_proxy(proxy);
    check->set_bypass(bypass);
    check->set_mismatch_message(mismatch);
    return executor_->Execute(step);
  }
  void SetEdrProxy(const std::string& proxy) {
    ASSERT_TRUE(host_
                    ->WriteValue(proxy::kDataCollectionKey,
                                 proxy::kTelemetryProxyServerValue, proxy)
                    .ok());
  }
  void Netsh(std::vector<std::string> args) {
    auto r = host_->RunProcess(Req(kNetsh, std::move(args)));
    ASSERT_TRUE(r.ok() && r->exit_code == 0);
  }

  TempDir dir_;
  std::unique_ptr<sim::SimulatedHost> host_;
  FakeFetcher fetcher_;
  std::unique_ptr<StepExecutor> executor_;
};

TEST_F(ProxyStepsTest, NoProxyConfiguredBehindAProxyFailsNamingUrlAndProxy) {
  Start("ws2019+proxy=10.0.0.6:8080");
  StepResult r = CheckUrl(kUrl);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_EQ(r.message,
            std::string("cannot reach ") + kUrl +
                " with direct access (no EDR static proxy, system WinHTTP "
                "proxy or WPAD proxy): ERROR_WINHTTP_TIMEOUT - timed out "
                "(firewall dropping packets, proxy) (no proxy: direct "
                "access)");
  EXPECT_THAT(r.output_tail, HasSubstr("ERROR_WINHTTP_TIMEOUT"));
}

TEST_F(ProxyStepsTest, UsesTheEdrStaticProxyFirst) {
  Start("ws2019+proxy=10.0.0.6:8080");
  SetEdrProxy("10.0.0.6:8080");
  Netsh({"winhttp", "set", "proxy", "10.0.0.9:3128"});  // wrong, not used
  StepResult r = CheckUrl(kUrl);
  EXPECT_EQ(r.state, v1::STEP_STATE_SUCCEEDED) << r.message;
  EXPECT_EQ(r.message, std::string(kUrl) +
                           " is reachable through proxy 10.0.0.6:8080 (EDR "
                           "static proxy, TelemetryProxyServer)");
  SetEdrProxy("10.0.0.7:8080");
  r = CheckUrl(kUrl);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message,
              HasSubstr(std::string("cannot reach ") + kUrl +
                        " through proxy 10.0.0.7:8080 (EDR static proxy, "
                        "TelemetryProxyServer): ERROR_WINHTTP_CANNOT_CONNECT"));
}

TEST_F(ProxyStepsTest, FallsBackToTheWinHttpProxy) {
  Start("ws2016+proxy=10.0.0.6:8080");
  Netsh({"winhttp", "set", "proxy", "proxy-server=10.0.0.6:8080"});
  StepResult r = CheckUrl(kUrl);
  EXPECT_EQ(r.state, v1::STEP_STATE_SUCCEEDED) << r.message;
  EXPECT_EQ(r.message, std::string(kUrl) +
                           " is reachable through the system WinHTTP proxy "
                           "10.0.0.6:8080");
}

// Seed 004: with no static or WinHTTP proxy the sensor asks WPAD.
TEST_F(ProxyStepsTest, ThenWhatWpadFinds) {
  Start("ws2019+proxy=10.0.0.6:8080+wpad");
  StepResult r = CheckUrl(kUrl);
  EXPECT_EQ(r.state, v1::STEP_STATE_SUCCEEDED) << r.message;
  EXPECT_EQ(r.message, std::string(kUrl) +
                           " is reachable through proxy 10.0.0.6:8080 (found "
                           "by WPAD auto-discovery)");
  // A WinHTTP proxy comes before WPAD, even a wrong one.
  Netsh({"winhttp", "set", "proxy", "10.0.0.9:3128"});
  r = CheckUrl(kUrl);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("through the system WinHTTP proxy "
                                   "10.0.0.9:3128"));
}

// An HTTP answer that comes from the way, not from Defender, is a failure
// that says what to fix.
TEST_F(ProxyStepsTest, AProxyWantingCredentialsFails) {
  Start("ws2019+proxy=10.0.0.6:8080+proxyauth");
  SetEdrProxy("10.0.0.6:8080");
  StepResult r = CheckUrl(kUrl);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("HTTP 407 Proxy Authentication Required"));
  EXPECT_THAT(r.message, HasSubstr("LocalSystem"));
}

TEST_F(ProxyStepsTest, TlsInspectionFailsSayingSo) {
  Start("ws2019+tlsinspect");
  StepResult r = CheckUrl(kUrl);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("TLS inspection"));
  EXPECT_THAT(r.message, HasSubstr("Contoso TLS Inspection Root CA"));
  EXPECT_THAT(r.message, HasSubstr("exclude the Defender URLs"));
  // The revocation endpoints are plain HTTP: nothing to inspect.
  EXPECT_EQ(CheckUrl("http://crl.microsoft.com/pki/crl/products/").state,
            v1::STEP_STATE_SUCCEEDED);
}

TEST_F(ProxyStepsTest, DirectAccessWhereThereIsNoProxy) {
  Start("ws2022");
  StepResult r = CheckUrl(kUrl);
  EXPECT_EQ(r.state, v1::STEP_STATE_SUCCEEDED) << r.message;
  EXPECT_THAT(r.message, HasSubstr("is reachable with direct access"));
}

TEST_F(ProxyStepsTest, CheckWinHttpProxyReadsBackNetsh) {
  Start("ws2019");
  StepResult direct = CheckWinHttp("", "");
  EXPECT_EQ(direct.state, v1::STEP_STATE_SUCCEEDED) << direct.message;
  EXPECT_EQ(direct.message, "system WinHTTP proxy: direct access");
  StepResult expected_set = CheckWinHttp("10.0.0.6:8080", "");
  EXPECT_EQ(expected_set.state, v1::STEP_STATE_FAILED);
  EXPECT_EQ(expected_set.message,
            "system WinHTTP proxy: direct access, expected 10.0.0.6:8080");

  Netsh({"winhttp", "set", "proxy", "proxy-server=10.0.0.6:8080",
         "bypass-list=<local>"});
  StepResult set = CheckWinHttp("10.0.0.6:8080", "<local>");
  EXPECT_EQ(set.state, v1::STEP_STATE_SUCCEEDED) << set.message;
  EXPECT_EQ(set.message,
            "system WinHTTP proxy: 10.0.0.6:8080 (bypass <local>)");
  StepResult other_bypass = CheckWinHttp("10.0.0.6:8080", "*.corp");
  EXPECT_EQ(other_bypass.state, v1::STEP_STATE_FAILED);
  StepResult still_set = CheckWinHttp("", "", "still set after reset");
  EXPECT_EQ(still_set.state, v1::STEP_STATE_FAILED);
  EXPECT_EQ(still_set.message,
            "still set after reset (system WinHTTP proxy: 10.0.0.6:8080 "
            "(bypass <local>))");
}

}  // namespace
}  // namespace mdefleet::runner

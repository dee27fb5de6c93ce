// configure_proxy: the same registry writes, netsh calls and read-backs on
// every release; clear removes every managed value; warnings for proxies that
// will disagree.
#include <string>

#include "common/plan/plan.h"
#include "common/proxy_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kDataCollection[] =
    "SOFTWARE\\Policies\\Microsoft\\Windows\\DataCollection";
constexpr char kAtpPolicy[] =
    "SOFTWARE\\Policies\\Microsoft\\Windows Advanced Threat Protection";
constexpr char kDefender[] = "SOFTWARE\\Policies\\Microsoft\\Windows Defender";
constexpr char kSpynet[] =
    "SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Spynet";

PlanInputs Inputs(const v1::ProxyConfig& config) {
  PlanInputs inputs = InputsFor("configure_proxy");
  inputs.proxy = config;
  return inputs;
}

v1::ProxyConfig Everything() {
  v1::ProxyConfig c;
  c.set_edr_proxy("10.0.0.6:8080");
  c.set_prefer_static_proxy(true);
  c.set_av_proxy("http://10.0.0.6:8080");
  c.set_av_proxy_pac_url("http://wpad.corp/proxy.pac");
  c.set_av_proxy_bypass("<local>;*.corp");
  c.set_ssl_options(0);
  c.set_winhttp(v1::WINHTTP_PROXY_SET);
  c.set_winhttp_bypass("<local>");
  return c;
}

class ConfigureProxyTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(ConfigureProxyTest, SetsEveryValueThenReadsEachBack) {
  auto plan = BuildPlan(Inputs(Everything()), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      StepNames(*plan),
      ElementsAre("set_edr_proxy", "set_disable_enterprise_auth_proxy",
                  "set_prefer_static_proxy", "set_av_proxy",
                  "set_av_proxy_pac_url", "set_av_proxy_bypass",
                  "set_ssl_options", "set_winhttp_proxy", "verify_edr_proxy",
                  "verify_disable_enterprise_auth_proxy",
                  "verify_prefer_static_proxy", "verify_av_proxy",
                  "verify_av_proxy_pac_url", "verify_av_proxy_bypass",
                  "verify_ssl_options", "verify_winhttp_proxy"));
  const auto& edr = Step(*plan, "set_edr_proxy").action().set_registry_value();
  EXPECT_EQ(edr.key(), kDataCollection);
  EXPECT_EQ(edr.name(), "TelemetryProxyServer");
  EXPECT_EQ(edr.value().sz(), "10.0.0.6:8080");
  const auto& auth = Step(*plan, "set_disable_enterprise_auth_proxy")
                         .action()
                         .set_registry_value();
  EXPECT_EQ(auth.key(), kDataCollection);
  EXPECT_EQ(auth.name(), "DisableEnterpriseAuthProxy");
  EXPECT_EQ(auth.value().dword(), 1u);
  const auto& prefer =
      Step(*plan, "set_prefer_static_proxy").action().set_registry_value();
  EXPECT_EQ(prefer.key(), kAtpPolicy);
  EXPECT_EQ(prefer.name(), "PreferStaticProxyForHttpRequest");
  EXPECT_EQ(prefer.value().dword(), 1u);
  const auto& av = Step(*plan, "set_av_proxy").action().set_registry_value();
  EXPECT_EQ(av.key(), kDefender);
  EXPECT_EQ(av.name(), "ProxyServer");
  EXPECT_EQ(av.value().sz(), "http://10.0.0.6:8080");
  EXPECT_EQ(
      Step(*plan, "set_av_proxy_pac_url").action().set_registry_value().name(),
      "ProxyPacUrl");
  EXPECT_EQ(Step(*plan, "set_av_proxy_bypass")
                .action()
                .set_registry_value()
                .value()
                .sz(),
            "<local>;*.corp");
  const auto& ssl =
      Step(*plan, "set_ssl_options").action().set_registry_value();
  EXPECT_EQ(ssl.key(), kSpynet);
  EXPECT_EQ(ssl.name(), "SSLOptions");
  EXPECT_TRUE(ssl.value().has_dword());
  EXPECT_EQ(ssl.value().dword(), 0u);

  const v1::PlannedStep& netsh = Step(*plan, "set_winhttp_proxy");
  EXPECT_TRUE(netsh.rerun_safe());
  EXPECT_EQ(netsh.action().run_process().program(), v1::PROGRAM_NETSH);
  // WinHTTP defaults to the EDR proxy.
  EXPECT_THAT(netsh.action().run_process().args(),
              ElementsAre("winhttp", "set", "proxy",
                          "proxy-server=10.0.0.6:8080", "bypass-list=<local>"));

  const auto& verify_edr =
      Step(*plan, "verify_edr_proxy").action().check_registry();
  EXPECT_EQ(verify_edr.key(), kDataCollection);
  EXPECT_EQ(verify_edr.sz_equals(), "10.0.0.6:8080");
  EXPECT_EQ(verify_edr.on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(verify_edr.mismatch_message(), HasSubstr("Group Policy"));
  EXPECT_EQ(Step(*plan, "verify_ssl_options")
                .action()
                .check_registry()
                .dword_equals(),
            0u);
  EXPECT_EQ(
      Step(*plan, "verify_ssl_options").action().check_registry().expect_case(),
      v1::CheckRegistryAction::kDwordEquals);
  const auto& verify_winhttp =
      Step(*plan, "verify_winhttp_proxy").action().check_winhttp_proxy();
  EXPECT_EQ(verify_winhttp.proxy(), "10.0.0.6:8080");
  EXPECT_EQ(verify_winhttp.bypass(), "<local>");
  for (const v1::PlannedStep& step : plan->steps()) {
    EXPECT_TRUE(step.rerun_safe()) << step.name();
    EXPECT_FALSE(step.continue_on_failure()) << step.name();
  }
}

TEST_P(ConfigureProxyTest, SetsOnlyWhatIsGiven) {
  v1::ProxyConfig c;
  c.set_av_proxy("https://proxy.corp:443");
  auto plan = BuildPlan(Inputs(c), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan), ElementsAre("set_av_proxy", "verify_av_proxy"));

  c.Clear();
  c.set_winhttp(v1::WINHTTP_PROXY_SET);
  c.set_winhttp_proxy("[fd00::6]:3128");
  plan = BuildPlan(Inputs(c), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("set_winhttp_proxy", "verify_winhttp_proxy"));
  EXPECT_THAT(
      Step(*plan, "set_winhttp_proxy").action().run_process().args(),
      ElementsAre("winhttp", "set", "proxy", "proxy-server=[fd00::6]:3128"));
}

TEST_P(ConfigureProxyTest, ClearRemovesEveryManagedValueAndChecksItIsGone) {
  v1::ProxyConfig c;
  c.set_clear(true);
  c.set_winhttp(v1::WINHTTP_PROXY_RESET);
  auto plan = BuildPlan(Inputs(c), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      StepNames(*plan),
      ElementsAre("delete_edr_proxy", "delete_disable_enterprise_auth_proxy",
                  "delete_prefer_static_proxy", "delete_av_proxy",
                  "delete_av_proxy_pac_url", "delete_av_proxy_bypass",
                  "delete_ssl_options", "reset_winhttp_proxy",
                  "verify_edr_proxy", "verify_disable_enterprise_auth_proxy",
                  "verify_prefer_static_proxy", "verify_av_proxy",
                  "verify_av_proxy_pac_url", "verify_av_proxy_bypass",
                  "verify_ssl_options", "verify_winhttp_proxy"));
  const auto& del =
      Step(*plan, "delete_ssl_options").action().delete_registry_value();
  EXPECT_EQ(del.key(), kSpynet);
  EXPECT_EQ(del.name(), "SSLOptions");
  EXPECT_TRUE(
      Step(*plan, "verify_av_proxy").action().check_registry().absent());
  EXPECT_THAT(Step(*plan, "reset_winhttp_proxy").action().run_process().args(),
              ElementsAre("winhttp", "reset", "proxy"));
  EXPECT_EQ(Step(*plan, "verify_winhttp_proxy")
                .action()
                .check_winhttp_proxy()
                .proxy(),
            "");

  // Without winhttp RESET the system proxy is left alone.
  c.clear_winhttp();
  plan = BuildPlan(Inputs(c), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(HasStep(*plan, "reset_winhttp_proxy"));
  EXPECT_FALSE(HasStep(*plan, "verify_winhttp_proxy"));
  EXPECT_EQ(plan->steps_size(), 14);
}

INSTANTIATE_TEST_SUITE_P(AllReleases, ConfigureProxyTest,
                         ::testing::ValuesIn(AllFamilies()), FamilyParamName);

TEST(ConfigureProxyPlanTest, InvalidConfigIsInvalidArgumentNamingTheField) {
  v1::ProxyConfig c;
  c.set_av_proxy("10.0.0.6:8080");
  auto plan = BuildPlan(Inputs(c), FactsFor(v1::OS_FAMILY_WS2019));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.proxy.av_proxy: \"10.0.0.6:8080\" must "
                        "start with http:// or https://"));
}

TEST(ConfigureProxyPlanTest, WarnsWhenTheProxiesWillDisagree) {
  // The device already has a WinHTTP proxy elsewhere; only EDR is set now.
  v1::DeviceFacts facts = FactsFor(v1::OS_FAMILY_WS2022);
  facts.mutable_proxy()->set_winhttp_proxy("10.9.9.9:3128");
  v1::ProxyConfig c;
  c.set_edr_proxy("10.0.0.6:8080");
  auto plan = BuildPlan(Inputs(c), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(),
              ElementsAre(HasSubstr("after configure_proxy: Defender "
                                    "Antivirus proxy (ProxyServer) not set"),
                          "after configure_proxy: proxies disagree: the EDR "
                          "sensor proxy (TelemetryProxyServer) is "
                          "10.0.0.6:8080 but the system WinHTTP proxy is "
                          "10.9.9.9:3128"));
  // Setting all three consistently silences it.
  c.set_av_proxy("http://10.0.0.6:8080");
  c.set_winhttp(v1::WINHTTP_PROXY_SET);
  plan = BuildPlan(Inputs(c), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(), IsEmpty());
}

TEST(ConfigureProxyPlanTest, WarnsAboutDiscouragedAndIneffectiveSettings) {
  v1::ProxyConfig c;
  c.set_ssl_options(2);
  c.set_prefer_static_proxy(true);
  c.set_av_proxy_bypass("<local>");
  auto plan = BuildPlan(Inputs(c), FactsFor(v1::OS_FAMILY_WS2016));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(), Contains(HasSubstr("CRL")));
  EXPECT_THAT(plan->warnings(),
              Contains(HasSubstr("PreferStaticProxyForHttpRequest has no "
                                 "effect without an EDR static proxy")));
  EXPECT_THAT(plan->warnings(),
              Contains(HasSubstr("ProxyBypass has no effect")));
}

TEST(ConfigureProxyPlanTest, ClearWarnsWhenTheSystemProxyStays) {
  v1::DeviceFacts facts = FactsFor(v1::OS_FAMILY_WS2019);
  facts.mutable_proxy()->set_edr_proxy("10.0.0.6:8080");
  facts.mutable_proxy()->set_winhttp_proxy("10.0.0.6:8080");
  v1::ProxyConfig c;
  c.set_clear(true);
  auto plan = BuildPlan(Inputs(c), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(),
              Contains(HasSubstr("EDR sensor proxy (TelemetryProxyServer) not "
                                 "set: the sensor falls back to the system "
                                 "WinHTTP proxy")));
  c.set_winhttp(v1::WINHTTP_PROXY_RESET);
  plan = BuildPlan(Inputs(c), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(), IsEmpty());
}

}  // namespace
}  // namespace mdefleet::testing

// DeviceFacts.proxy: the three proxies as the simulated server keeps them,
// read back after they are written the way configure_proxy writes them.
#include "runner/facts/proxy_facts.h"

#include <string>

#include "common/mde_constants.h"
#include "common/proxy_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::MakeSim;
using testing::Req;

TEST(ProxyFacts, EmptyOnAFreshServer) {
  TempDir dir;
  auto host = MakeSim("ws2019+proxy=10.0.0.6:8080", dir.path());
  auto p = CollectProxyFacts(*host);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ByteSizeLong(), 0u) << p->DebugString();
}

TEST(ProxyFacts, ReadsEveryValueAndTheWinHttpProxy) {
  TempDir dir;
  auto host = MakeSim("ws2016", dir.path());
  auto write = [&](absl::string_view key, absl::string_view name,
                   RegistryData data) {
    ASSERT_TRUE(host->WriteValue(key, name, data).ok()) << name;
  };
  write(proxy::kDataCollectionKey, proxy::kTelemetryProxyServerValue,
        std::string("10.0.0.6:8080"));
  write(proxy::kDataCollectionKey, proxy::kDisableEnterpriseAuthProxyValue,
        uint32_t{1});
  write(mde::kAtpPolicyKey, proxy::kPreferStaticProxyValue, uint32_t{1});
  write(proxy::kDefenderPolicyKey, proxy::kProxyServerValue,
        std::string("http://10.0.0.6:8080"));
  write(proxy::kDefenderPolicyKey, proxy::kProxyPacUrlValue,
        std::string("http://wpad/proxy.pac"));
  write(proxy::kDefenderPolicyKey, proxy::kProxyBypassValue,
        std::string("<local>"));
  write(proxy::kSpynetPolicyKey, proxy::kSslOptionsValue, uint32_t{0});
  ASSERT_EQ(host->RunProcess(Req("C:\\Windows\\System32\\netsh.exe",
                                 {"winhttp", "set", "proxy", "10.0.0.6:8080",
                                  "<local>;*.corp"}))
                ->exit_code,
            0);
  auto p = CollectProxyFacts(*host);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->edr_proxy(), "10.0.0.6:8080");
  EXPECT_TRUE(p->disable_enterprise_auth_proxy());
  EXPECT_TRUE(p->prefer_static_proxy());
  EXPECT_EQ(p->av_proxy(), "http://10.0.0.6:8080");
  EXPECT_EQ(p->av_proxy_pac_url(), "http://wpad/proxy.pac");
  EXPECT_EQ(p->av_proxy_bypass(), "<local>");
  ASSERT_TRUE(p->has_ssl_options());
  EXPECT_EQ(p->ssl_options(), 0u);
  EXPECT_EQ(p->winhttp_proxy(), "10.0.0.6:8080");
  EXPECT_EQ(p->winhttp_bypass(), "<local>;*.corp");

  // CollectFacts carries them.
  auto facts = CollectFacts(*host, {});
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->proxy().edr_proxy(), "10.0.0.6:8080");
  EXPECT_EQ(facts->proxy().winhttp_proxy(), "10.0.0.6:8080");
}

TEST(ProxyFacts, AValueOfTheWrongTypeIsNotAProxy) {
  TempDir dir;
  auto host = MakeSim("ws2022", dir.path());
  ASSERT_TRUE(host->WriteValue(proxy::kDataCollectionKey,
                               proxy::kTelemetryProxyServerValue, uint32_t{1})
                  .ok());
  ASSERT_TRUE(host->WriteValue(proxy::kSpynetPolicyKey, proxy::kSslOptionsValue,
                               std::string("2"))
                  .ok());
  auto p = CollectProxyFacts(*host);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->edr_proxy(), "");
  EXPECT_FALSE(p->has_ssl_options());
}

}  // namespace
}  // namespace mdefleet::runner

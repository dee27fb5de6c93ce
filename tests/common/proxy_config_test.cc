// configure_proxy's parameters: every field's validation
// (table-driven, through ValidateJobSpec as the server calls it), the
// settings after a config is applied, and the disagreements between the
// three proxies.
#include "common/proxy_config.h"

#include <string>
#include <vector>

#include "common/job_spec_validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

TEST(ParseSchemeProxyTest, RequiresHttpOrHttps) {
  EXPECT_EQ(ParseSchemeProxy("http://10.0.0.6:8080")->port, 8080);
  EXPECT_EQ(ParseSchemeProxy("HTTPS://proxy.corp:443/")->host, "proxy.corp");
  EXPECT_THAT(ParseSchemeProxy("10.0.0.6:8080").status().message(),
              HasSubstr("must start with http:// or https://"));
  EXPECT_THAT(ParseSchemeProxy("ftp://10.0.0.6:21").status().message(),
              HasSubstr("must start with http:// or https://"));
  EXPECT_THAT(ParseSchemeProxy("http://10.0.0.6:8080/path").status().message(),
              HasSubstr("only scheme, host and port"));
  EXPECT_THAT(ParseSchemeProxy("http://u:p@10.0.0.6:8080").status().message(),
              HasSubstr("only scheme, host and port"));
  EXPECT_THAT(ParseSchemeProxy("http://10.0.0.6").status().message(),
              HasSubstr("has no port"));
}

v1::JobSpec ProxySpec(const v1::ProxyConfig& config) {
  v1::JobSpec spec;
  spec.set_kind("configure_proxy");
  spec.mutable_target()->set_all(true);
  *spec.mutable_parameters()->mutable_proxy() = config;
  return spec;
}

// One field set (on top of `base`) and the error it must give, or "" for OK.
struct FieldCase {
  std::string name;
  void (*apply)(v1::ProxyConfig*);
  std::string error;  // prefix of the message; "" when valid
};

TEST(ValidateProxyConfigTest, EveryFieldThroughValidateJobSpec) {
  const std::vector<FieldCase> cases = {
      {"edr ok", [](v1::ProxyConfig* c) { c->set_edr_proxy("10.0.0.6:8080"); },
       ""},
      {"edr no port", [](v1::ProxyConfig* c) { c->set_edr_proxy("10.0.0.6"); },
       "parameters.proxy.edr_proxy: \"10.0.0.6\" has no port"},
      {"edr scheme",
       [](v1::ProxyConfig* c) { c->set_edr_proxy("http://10.0.0.6:8080"); },
       "parameters.proxy.edr_proxy: \"http://10.0.0.6:8080\" has a scheme"},
      {"edr port range",
       [](v1::ProxyConfig* c) { c->set_edr_proxy("10.0.0.6:70000"); },
       "parameters.proxy.edr_proxy: port \"70000\""},
      {"prefer static alone",
       [](v1::ProxyConfig* c) { c->set_prefer_static_proxy(true); }, ""},
      {"av ok",
       [](v1::ProxyConfig* c) { c->set_av_proxy("http://10.0.0.6:8080"); }, ""},
      {"av without scheme",
       [](v1::ProxyConfig* c) { c->set_av_proxy("10.0.0.6:8080"); },
       "parameters.proxy.av_proxy: \"10.0.0.6:8080\" must start with "
       "http:// or https://"},
      {"av bad port",
       [](v1::ProxyConfig* c) { c->set_av_proxy("https://10.0.0.6:0"); },
       "parameters.proxy.av_proxy: port \"0\""},
      {"pac ok",
       [](v1::ProxyConfig* c) {
         c->set_av_proxy_pac_url("http://wpad.corp/proxy.pac");
       },
       ""},
      {"pac with port ok",
       [](v1::ProxyConfig* c) {
         c->set_av_proxy_pac_url("https://wpad.corp:8443/p.pac?x=1");
       },
       ""},
      {"pac no scheme",
       [](v1::ProxyConfig* c) { c->set_av_proxy_pac_url("wpad.corp/p.pac"); },
       "parameters.proxy.av_proxy_pac_url: \"wpad.corp/p.pac\" must start "
       "with http:// or https://"},
      {"pac no host",
       [](v1::ProxyConfig* c) { c->set_av_proxy_pac_url("http:///p.pac"); },
       "parameters.proxy.av_proxy_pac_url: \"http:///p.pac\" has no host"},
      {"pac credentials",
       [](v1::ProxyConfig* c) {
         c->set_av_proxy_pac_url("http://u:p@wpad.corp/p.pac");
       },
       "parameters.proxy.av_proxy_pac_url: must not carry a user name"},
      {"av bypass ok",
       [](v1::ProxyConfig* c) {
         c->set_av_proxy_bypass("<local>;*.corp.contoso.com");
       },
       ""},
      {"av bypass empty entry",
       [](v1::ProxyConfig* c) { c->set_av_proxy_bypass("a;;b"); },
       "parameters.proxy.av_proxy_bypass: entry 2 is empty"},
      {"av bypass space",
       [](v1::ProxyConfig* c) { c->set_av_proxy_bypass("a b"); },
       "parameters.proxy.av_proxy_bypass: entry 1 \"a b\" contains a space"},
      {"ssl 0", [](v1::ProxyConfig* c) { c->set_ssl_options(0); }, ""},
      {"ssl 2", [](v1::ProxyConfig* c) { c->set_ssl_options(2); }, ""},
      {"ssl 3", [](v1::ProxyConfig* c) { c->set_ssl_options(3); },
       "parameters.proxy.ssl_options: 3 is not 0, 1 or 2"},
      {"winhttp set with edr",
       [](v1::ProxyConfig* c) {
         c->set_edr_proxy("10.0.0.6:8080");
         c->set_winhttp(v1::WINHTTP_PROXY_SET);
       },
       ""},
      {"winhttp set without proxy",
       [](v1::ProxyConfig* c) { c->set_winhttp(v1::WINHTTP_PROXY_SET); },
       "parameters.proxy.winhttp_proxy: required for winhttp SET"},
      {"winhttp set own proxy and bypass",
       [](v1::ProxyConfig* c) {
         c->set_winhttp(v1::WINHTTP_PROXY_SET);
         c->set_winhttp_proxy("[fd00::6]:3128");
         c->set_winhttp_bypass("<local>");
       },
       ""},
      {"winhttp proxy bad",
       [](v1::ProxyConfig* c) {
         c->set_winhttp(v1::WINHTTP_PROXY_SET);
         c->set_winhttp_proxy("proxy");
       },
       "parameters.proxy.winhttp_proxy: \"proxy\" has no port"},
      {"winhttp bypass bad",
       [](v1::ProxyConfig* c) {
         c->set_winhttp(v1::WINHTTP_PROXY_SET);
         c->set_winhttp_proxy("p:80");
         c->set_winhttp_bypass("a;\"b\"");
       },
       "parameters.proxy.winhttp_bypass: entry 2"},
      {"winhttp proxy without set",
       [](v1::ProxyConfig* c) { c->set_winhttp_proxy("p:80"); },
       "parameters.proxy.winhttp_proxy: only used with winhttp SET"},
      {"winhttp bypass with reset",
       [](v1::ProxyConfig* c) {
         c->set_winhttp(v1::WINHTTP_PROXY_RESET);
         c->set_winhttp_bypass("<local>");
       },
       "parameters.proxy.winhttp_bypass: only used with winhttp SET"},
      {"winhttp reset alone",
       [](v1::ProxyConfig* c) { c->set_winhttp(v1::WINHTTP_PROXY_RESET); }, ""},
      {"winhttp unknown value",
       [](v1::ProxyConfig* c) {
         c->set_winhttp(static_cast<v1::WinHttpProxyChange>(7));
       },
       "parameters.proxy.winhttp: unknown value 7"},
      {"clear alone", [](v1::ProxyConfig* c) { c->set_clear(true); }, ""},
      {"clear with reset",
       [](v1::ProxyConfig* c) {
         c->set_clear(true);
         c->set_winhttp(v1::WINHTTP_PROXY_RESET);
       },
       ""},
      {"clear with edr",
       [](v1::ProxyConfig* c) {
         c->set_clear(true);
         c->set_edr_proxy("10.0.0.6:8080");
       },
       "parameters.proxy.edr_proxy: cannot be combined with clear"},
      {"clear with ssl",
       [](v1::ProxyConfig* c) {
         c->set_clear(true);
         c->set_ssl_options(0);
       },
       "parameters.proxy.ssl_options: cannot be combined with clear"},
      {"clear with winhttp set",
       [](v1::ProxyConfig* c) {
         c->set_clear(true);
         c->set_winhttp(v1::WINHTTP_PROXY_SET);
       },
       "parameters.proxy.winhttp: cannot be combined with clear"},
      {"nothing", [](v1::ProxyConfig*) {},
       "parameters.proxy: nothing to configure"},
  };
  for (const FieldCase& c : cases) {
    v1::ProxyConfig config;
    c.apply(&config);
    absl::Status direct = ValidateProxyConfig(config);
    absl::Status spec = ValidateJobSpec(ProxySpec(config));
    if (c.error.empty()) {
      EXPECT_TRUE(direct.ok()) << c.name << ": " << direct;
      EXPECT_TRUE(spec.ok()) << c.name << ": " << spec;
    } else {
      EXPECT_EQ(direct.code(), absl::StatusCode::kInvalidArgument) << c.name;
      EXPECT_THAT(std::string(direct.message()), StartsWith(c.error)) << c.name;
      EXPECT_EQ(spec, direct) << c.name;
    }
  }
}

TEST(ValidateProxyConfigTest, ProxyBelongsToConfigureProxyOnly) {
  v1::JobSpec spec = ProxySpec({});
  spec.mutable_parameters()->clear_proxy();
  EXPECT_THAT(std::string(ValidateJobSpec(spec).message()),
              StartsWith("parameters.proxy: required for configure_proxy"));
  v1::JobSpec onboard;
  onboard.set_kind("onboard");
  onboard.mutable_target()->set_all(true);
  onboard.mutable_parameters()->set_onboarding_script_id(std::string(64, 'c'));
  onboard.mutable_parameters()->mutable_proxy()->set_edr_proxy("p:80");
  EXPECT_EQ(ValidateJobSpec(onboard).message(),
            "parameters.proxy: only used by configure_proxy");
}

TEST(ValidateJobSpecTest, UrlListBelongsToConnectivityTest) {
  v1::JobSpec spec;
  spec.set_kind("connectivity_test");
  spec.mutable_target()->set_all(true);
  // Without a list it checks the built-in one (common/defender_urls.h).
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
  // ...for the geography of an onboarding package, which it may name.
  spec.mutable_parameters()->set_onboarding_script_id(std::string(64, 'c'));
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
  spec.mutable_parameters()->clear_onboarding_script_id();
  spec.mutable_parameters()->set_url_list_id("urls.txt");
  EXPECT_EQ(ValidateJobSpec(spec).message(),
            "parameters.url_list_id: not an artifact id (64 hex characters)");
  spec.mutable_parameters()->set_url_list_id(std::string(64, 'e'));
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
  spec.set_kind("configure_proxy");
  spec.mutable_parameters()->mutable_proxy()->set_clear(true);
  EXPECT_EQ(ValidateJobSpec(spec).message(),
            "parameters.url_list_id: only used by connectivity_test");
}

TEST(ProxyConfigWarningsTest, WarnsOnSslOptions2Only) {
  v1::ProxyConfig c;
  for (uint32_t n : {0u, 1u}) {
    c.set_ssl_options(n);
    EXPECT_THAT(ProxyConfigWarnings(c), IsEmpty()) << n;
  }
  c.set_ssl_options(2);
  EXPECT_THAT(ProxyConfigWarnings(c),
              ElementsAre(HasSubstr("CRL) check of cloud protection")));
}

TEST(ApplyProxyConfigTest, SetsClearsAndLeavesTheRest) {
  v1::ProxySettings before;
  before.set_av_proxy("http://old:80");
  before.set_winhttp_proxy("old:80");
  before.set_ssl_options(1);
  v1::ProxyConfig set;
  set.set_edr_proxy("10.0.0.6:8080");
  set.set_winhttp(v1::WINHTTP_PROXY_SET);
  set.set_winhttp_bypass("<local>");
  v1::ProxySettings after = ApplyProxyConfig(before, set);
  EXPECT_EQ(after.edr_proxy(), "10.0.0.6:8080");
  EXPECT_TRUE(after.disable_enterprise_auth_proxy());
  EXPECT_EQ(after.av_proxy(), "http://old:80");       // not given: left
  EXPECT_EQ(after.winhttp_proxy(), "10.0.0.6:8080");  // defaults to EDR
  EXPECT_EQ(after.winhttp_bypass(), "<local>");
  EXPECT_EQ(after.ssl_options(), 1u);

  v1::ProxyConfig clear;
  clear.set_clear(true);
  v1::ProxySettings cleared = ApplyProxyConfig(after, clear);
  EXPECT_EQ(cleared.edr_proxy(), "");
  EXPECT_FALSE(cleared.disable_enterprise_auth_proxy());
  EXPECT_EQ(cleared.av_proxy(), "");
  EXPECT_FALSE(cleared.has_ssl_options());
  EXPECT_EQ(cleared.winhttp_proxy(), "10.0.0.6:8080");  // winhttp LEAVE
  clear.set_winhttp(v1::WINHTTP_PROXY_RESET);
  EXPECT_EQ(ApplyProxyConfig(after, clear).winhttp_proxy(), "");
}

TEST(ProxyEndpointTest, NormalisesTheThreeForms) {
  EXPECT_EQ(ProxyEndpoint("Proxy.Corp:8080"), "proxy.corp:8080");
  EXPECT_EQ(ProxyEndpoint("http://proxy.corp:8080/"), "proxy.corp:8080");
  EXPECT_EQ(ProxyEndpoint("http=a:80;https=b:443"), "b:443");
  EXPECT_EQ(ProxyEndpoint("http=a:80"), "a:80");
}

v1::ProxySettings Settings(const std::string& edr, const std::string& av,
                           const std::string& winhttp) {
  v1::ProxySettings s;
  s.set_edr_proxy(edr);
  s.set_av_proxy(av);
  s.set_winhttp_proxy(winhttp);
  return s;
}

TEST(ProxyDisagreementsTest, NoneWhenAllAgreeOrNoneIsSet) {
  EXPECT_THAT(ProxyDisagreements({}), IsEmpty());
  EXPECT_THAT(ProxyDisagreements(Settings(
                  "10.0.0.6:8080", "http://10.0.0.6:8080", "10.0.0.6:8080")),
              IsEmpty());
  // Case and WinHTTP's per-scheme form do not matter.
  EXPECT_THAT(
      ProxyDisagreements(Settings("Proxy.Corp:3128", "https://proxy.corp:3128/",
                                  "http=x:1;https=proxy.corp:3128")),
      IsEmpty());
  // A PAC file is set but cannot be compared.
  v1::ProxySettings pac = Settings("10.0.0.6:8080", "", "10.0.0.6:8080");
  pac.set_av_proxy_pac_url("http://wpad/proxy.pac");
  EXPECT_THAT(ProxyDisagreements(pac), IsEmpty());
}

TEST(ProxyDisagreementsTest, NamesTheMissingProxies) {
  auto lines = ProxyDisagreements(Settings("10.0.0.6:8080", "", ""));
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_THAT(lines[0], StartsWith("Defender Antivirus proxy (ProxyServer) "
                                   "not set: cloud protection connects "
                                   "directly, while the EDR sensor proxy "
                                   "(TelemetryProxyServer) is 10.0.0.6:8080"));
  EXPECT_THAT(lines[0], HasSubstr("--av-proxy"));
  EXPECT_THAT(lines[1], StartsWith("system WinHTTP proxy not set"));
  EXPECT_THAT(lines[1], HasSubstr("--winhttp set"));

  lines = ProxyDisagreements(Settings("", "", "10.0.0.6:8080"));
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_THAT(lines[0],
              StartsWith("EDR sensor proxy (TelemetryProxyServer) not set: "
                         "the sensor falls back to the system WinHTTP "
                         "proxy"));
  EXPECT_THAT(lines[1], StartsWith("Defender Antivirus proxy"));

  lines = ProxyDisagreements(Settings("", "http://10.0.0.6:8080", ""));
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_THAT(lines[0], HasSubstr("the sensor connects directly"));
}

TEST(ProxyDisagreementsTest, NamesProxiesPointingElsewhere) {
  auto lines = ProxyDisagreements(
      Settings("10.0.0.6:8080", "http://10.0.0.6:8080", "10.0.0.7:8080"));
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_EQ(lines[0],
            "proxies disagree: the EDR sensor proxy (TelemetryProxyServer) is "
            "10.0.0.6:8080 but the system WinHTTP proxy is 10.0.0.7:8080");
  EXPECT_EQ(lines[1],
            "proxies disagree: the Defender Antivirus proxy (ProxyServer) is "
            "http://10.0.0.6:8080 but the system WinHTTP proxy is "
            "10.0.0.7:8080");
}

}  // namespace
}  // namespace mdefleet

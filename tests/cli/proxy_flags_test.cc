// configure_proxy's and connectivity_test's flags of `jobs submit`: parsed
// into JobParameters locally, usage errors naming the flag; the URL list
// resolved like the other artifact flags.
#include "server/cli/proxy_flags.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/cli/errors.h"
#include "server/cli/jobs_submit.h"

namespace mdefleet::cli {
namespace {

using ::testing::HasSubstr;

TEST(BuildProxyConfigTest, NoFlagsNoConfig) {
  auto c = BuildProxyConfig({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->has_value());
}

TEST(BuildProxyConfigTest, EveryFlag) {
  ProxyFlags f;
  f.edr_proxy = "10.0.0.6:8080";
  f.av_proxy = "http://10.0.0.6:8080";
  f.av_proxy_pac_url = "http://wpad/proxy.pac";
  f.av_proxy_bypass = "<local>";
  f.prefer_static_proxy = true;
  f.ssl_options = "0";
  f.winhttp = "SET";
  f.winhttp_proxy = "10.0.0.7:3128";
  f.winhttp_bypass = "*.corp";
  auto c = BuildProxyConfig(f);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->has_value());
  const v1::ProxyConfig& p = **c;
  EXPECT_EQ(p.edr_proxy(), "10.0.0.6:8080");
  EXPECT_EQ(p.av_proxy(), "http://10.0.0.6:8080");
  EXPECT_EQ(p.av_proxy_pac_url(), "http://wpad/proxy.pac");
  EXPECT_EQ(p.av_proxy_bypass(), "<local>");
  EXPECT_TRUE(p.prefer_static_proxy());
  ASSERT_TRUE(p.has_ssl_options());  // 0 is sent, not "unset"
  EXPECT_EQ(p.ssl_options(), 0u);
  EXPECT_EQ(p.winhttp(), v1::WINHTTP_PROXY_SET);
  EXPECT_EQ(p.winhttp_proxy(), "10.0.0.7:3128");
  EXPECT_EQ(p.winhttp_bypass(), "*.corp");
  EXPECT_FALSE(p.clear());

  ProxyFlags clear;
  clear.clear = true;
  clear.winhttp = "reset";
  c = BuildProxyConfig(clear);
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_TRUE((*c)->clear());
  EXPECT_EQ((*c)->winhttp(), v1::WINHTTP_PROXY_RESET);
}

TEST(BuildProxyConfigTest, UsageErrorsNameTheFlag) {
  ProxyFlags f;
  f.ssl_options = "two";
  auto c = BuildProxyConfig(f);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(IsUsageError(c.status()));
  EXPECT_EQ(c.status().message(), "--ssl-options \"two\": expected 0, 1 or 2");
  f.ssl_options.clear();
  f.winhttp = "on";
  c = BuildProxyConfig(f);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "--winhttp \"on\": expected set or reset");
}

TEST(BuildSubmitRequestTest, UrlListFileIsUploadedAndProxySent) {
  const std::string path = ::testing::TempDir() + "/urls.txt";
  std::ofstream(path) << "https://winatp-gw-cus.microsoft.com/test\n";
  JobsSubmitOptions options;
  options.kind = "connectivity_test";
  options.targets = {"all"};
  options.url_list = path;
  std::string uploaded_kind;
  auto request = BuildSubmitRequest(
      options,
      [&](const std::string& p,
          v1::ArtifactKind kind) -> absl::StatusOr<v1::Artifact> {
        EXPECT_EQ(p, path);
        uploaded_kind = v1::ArtifactKind_Name(kind);
        v1::Artifact a;
        a.set_id(std::string(64, 'e'));
        return a;
      });
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(uploaded_kind, "ARTIFACT_KIND_URL_LIST");
  EXPECT_EQ(request->spec().parameters().url_list_id(), std::string(64, 'e'));
  EXPECT_FALSE(request->spec().parameters().has_proxy());

  options.kind = "configure_proxy";
  options.url_list.clear();
  options.proxy.edr_proxy = "10.0.0.6:8080";
  request = BuildSubmitRequest(options, nullptr);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->spec().parameters().proxy().edr_proxy(), "10.0.0.6:8080");
}

TEST(BuildSubmitRequestTest, MissingUrlListFileIsAUsageError) {
  JobsSubmitOptions options;
  options.kind = "connectivity_test";
  options.targets = {"all"};
  options.url_list = "/no/such/urls.txt";
  auto request = BuildSubmitRequest(options, nullptr);
  ASSERT_FALSE(request.ok());
  EXPECT_THAT(request.status().message(), HasSubstr("--url-list"));
}

}  // namespace
}  // namespace mdefleet::cli

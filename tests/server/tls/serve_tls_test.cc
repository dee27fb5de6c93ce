// serve's transport decision: TLS from the TLS directory or the flags,
// client certificates with the CA, plaintext only on loopback.
#include "server/tls/serve_tls.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/tls/tls_dir.h"
#include "tests/server/test_env.h"

namespace mdefleet::server_tls {
namespace {

using ::mdefleet::testing::TempDir;
using ::mdefleet::testing::TestEpoch;
using ::testing::HasSubstr;

class ServeTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/m.db.tls";
    auto material = PrepareTls({.dir = dir_}, TestEpoch());
    ASSERT_TRUE(material.ok()) << material.status();
    ASSERT_TRUE(WriteTlsDir(dir_, *material).ok());
  }
  ServeTlsOptions Options(const std::string& listen) {
    return {.listen = listen, .tls_dir = dir_};
  }

  TempDir tmp_;
  std::string dir_;
};

TEST_F(ServeTlsTest, UsesTheDirectoryWithClientCertificates) {
  auto tls = LoadServeTls(Options("0.0.0.0:7443"), TestEpoch());
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->enabled);
  EXPECT_FALSE(tls->client_ca_pem.empty());
  EXPECT_NE(tls->issuer, nullptr);
  // Required by default: no flag needed.
  EXPECT_TRUE(tls->require_client_certificate);
  EXPECT_THAT(tls->description, HasSubstr("issued at enrollment"));
  EXPECT_THAT(tls->runner_authentication,
              HasSubstr("must present their device's client certificate"));
  EXPECT_TRUE(tls->warning.empty());
  EXPECT_NE(ServerCredentialsFor(*tls), nullptr);
}

TEST_F(ServeTlsTest, MtlsIsTheDefaultAndStillAccepted) {
  ServeTlsOptions options = Options("0.0.0.0:7443");
  options.mtls = true;
  auto tls = LoadServeTls(options, TestEpoch());
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->require_client_certificate);
  EXPECT_THAT(tls->runner_authentication, HasSubstr("--mtls: the default"));
}

TEST_F(ServeTlsTest, TokenOnlyRunnersAreAnExplicitWarnedChoice) {
  ServeTlsOptions options = Options("0.0.0.0:7443");
  options.allow_token_only_runners = true;
  auto tls = LoadServeTls(options, TestEpoch());
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_FALSE(tls->require_client_certificate);
  EXPECT_NE(tls->issuer, nullptr);  // certificates are still issued
  EXPECT_THAT(tls->warning, HasSubstr("--allow-token-only-runners"));
  EXPECT_THAT(tls->warning, HasSubstr("copied device token"));

  options.mtls = true;
  auto both = LoadServeTls(options, TestEpoch());
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(both.status().message(), HasSubstr("contradict"));
}

TEST_F(ServeTlsTest, WithoutTheCaKeyServeRefusesUnlessTokenOnly) {
  std::filesystem::remove(PathsIn(dir_).ca_key);
  ServeTlsOptions options = Options("0.0.0.0:7443");
  auto refused = LoadServeTls(options, TestEpoch());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr(PathsIn(dir_).ca_key));
  EXPECT_THAT(refused.status().message(),
              HasSubstr("--allow-token-only-runners"));
  options.allow_token_only_runners = true;
  auto token_only = LoadServeTls(options, TestEpoch());
  ASSERT_TRUE(token_only.ok()) << token_only.status();
  EXPECT_EQ(token_only->issuer, nullptr);
  EXPECT_FALSE(token_only->client_ca_pem.empty());  // still verified
}

TEST_F(ServeTlsTest, PlaintextOnlyOnLoopback) {
  ServeTlsOptions options = Options("127.0.0.1:0");
  options.plaintext = true;
  auto loopback = LoadServeTls(options, TestEpoch());
  ASSERT_TRUE(loopback.ok()) << loopback.status();
  EXPECT_FALSE(loopback->enabled);
  EXPECT_FALSE(loopback->require_client_certificate);
  EXPECT_THAT(loopback->runner_authentication, HasSubstr("device token alone"));

  options.listen = "0.0.0.0:0";
  auto everywhere = LoadServeTls(options, TestEpoch());
  ASSERT_FALSE(everywhere.ok());
  EXPECT_THAT(everywhere.status().message(),
              HasSubstr("--listen 0.0.0.0:0: --plaintext is allowed only on "
                        "a loopback address"));
}

TEST_F(ServeTlsTest, NoCertificateMeansLoopbackOnly) {
  ServeTlsOptions options = Options("[::]:7443");
  options.tls_dir = tmp_.path() + "/missing.tls";  // an old database
  auto refused = LoadServeTls(options, TestEpoch());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("--listen [::]:7443"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--tls-cert"));

  options.listen = "localhost:0";
  auto loopback = LoadServeTls(options, TestEpoch());
  ASSERT_TRUE(loopback.ok()) << loopback.status();
  EXPECT_FALSE(loopback->enabled);
  EXPECT_THAT(loopback->description, HasSubstr("loopback only"));

  options.mtls = true;
  EXPECT_THAT(LoadServeTls(options, TestEpoch()).status().message(),
              HasSubstr("--mtls: needs TLS"));

  options.mtls = false;
  options.tls_dir_given = true;
  EXPECT_THAT(LoadServeTls(options, TestEpoch()).status().message(),
              HasSubstr("--tls-dir"));
}

TEST_F(ServeTlsTest, HttpListenFollowsTheSameRule) {
  // With TLS, the HTTP API may listen anywhere (it serves HTTPS).
  ServeTlsOptions options = Options("0.0.0.0:7443");
  options.http_listen = "0.0.0.0:8443";
  auto tls = LoadServeTls(options, TestEpoch());
  ASSERT_TRUE(tls.ok()) << tls.status();

  // Without TLS, only on loopback, refused before anything starts.
  options.listen = "127.0.0.1:0";
  options.plaintext = true;
  options.http_listen = "127.0.0.1:0";
  EXPECT_TRUE(LoadServeTls(options, TestEpoch()).ok());
  options.http_listen = "[::1]:0";
  EXPECT_TRUE(LoadServeTls(options, TestEpoch()).ok());
  options.http_listen = "0.0.0.0:8080";
  auto refused = LoadServeTls(options, TestEpoch());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              HasSubstr("--http-listen 0.0.0.0:8080: --plaintext is allowed "
                        "only on a loopback address"));

  options.plaintext = false;
  options.tls_dir = tmp_.path() + "/missing.tls";
  options.http_listen = ":8080";
  refused = LoadServeTls(options, TestEpoch());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              HasSubstr("--http-listen :8080: refusing to serve plaintext "
                        "HTTP on a non-loopback address"));
}

TEST_F(ServeTlsTest, FlagsOverrideTheDirectoryCertificate) {
  const TlsDirPaths paths = PathsIn(dir_);
  ServeTlsOptions options = Options("0.0.0.0:0");
  options.tls_cert = paths.server_cert;
  options.tls_key = paths.ca_key;  // not its key
  auto mismatch = LoadServeTls(options, TestEpoch());
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(),
              HasSubstr("--tls-key: is not the private key of the "
                        "certificate in --tls-cert"));

  options.tls_key = paths.server_key;
  auto ok = LoadServeTls(options, TestEpoch());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ok->enabled);
}

TEST_F(ServeTlsTest, ConflictingFlagsAreRefused) {
  ServeTlsOptions options = Options("127.0.0.1:0");
  options.plaintext = true;
  options.mtls = true;
  EXPECT_THAT(LoadServeTls(options, TestEpoch()).status().message(),
              HasSubstr("--plaintext"));
  options = Options("127.0.0.1:0");
  options.tls_cert = PathsIn(dir_).server_cert;
  EXPECT_THAT(LoadServeTls(options, TestEpoch()).status().message(),
              HasSubstr("--tls-cert and --tls-key"));
}

TEST_F(ServeTlsTest, OperatorPairWithoutCaHasNoClientCertificates) {
  TempDir other;
  const std::string dir = other.path() + "/tls";
  const TlsDirPaths mine = PathsIn(dir_);
  auto material = PrepareTls(
      {.dir = dir, .cert_file = mine.server_cert, .key_file = mine.server_key},
      TestEpoch());
  ASSERT_TRUE(material.ok()) << material.status();
  ASSERT_TRUE(WriteTlsDir(dir, *material).ok());
  ServeTlsOptions options = {.listen = "0.0.0.0:0", .tls_dir = dir};
  // Runners could never get the certificate every call needs: refused,
  // saying what to do.
  auto refused = LoadServeTls(options, TestEpoch());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              HasSubstr("cannot issue them: " + PathsIn(dir).ca_cert));
  EXPECT_THAT(refused.status().message(),
              HasSubstr("--allow-token-only-runners"));
  options.mtls = true;
  EXPECT_FALSE(LoadServeTls(options, TestEpoch()).ok());
  options.mtls = false;
  options.allow_token_only_runners = true;
  auto tls = LoadServeTls(options, TestEpoch());
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->enabled);
  EXPECT_TRUE(tls->client_ca_pem.empty());
  EXPECT_EQ(tls->issuer, nullptr);
  EXPECT_FALSE(tls->require_client_certificate);
}

}  // namespace
}  // namespace mdefleet::server_tls

// mdefleetctl's transport: TLS pinned to --ca-cert, plaintext only to a
// loopback server, and errors that say which.
#include "server/cli/connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "absl/time/clock.h"
#include "common/tls/certificate_authority.h"
#include "server/cli/errors.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::cli {
namespace {

using ::testing::HasSubstr;

class ConnectionTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_.Join(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  ::mdefleet::testing::TempDir dir_;
};

TEST_F(ConnectionTest, PlaintextOnlyToLoopback) {
  for (const char* server : {"127.0.0.1:7443", "localhost:7443", "[::1]:1"}) {
    EXPECT_TRUE(ChannelCredentialsFor({.server = server}).ok()) << server;
  }
  for (const char* server :
       {"10.0.0.5:7443", "mdefleet.corp:7443", "0.0.0.0:7443"}) {
    auto refused = ChannelCredentialsFor({.server = server});
    ASSERT_FALSE(refused.ok()) << server;
    EXPECT_TRUE(IsUsageError(refused.status()));
    EXPECT_THAT(refused.status().message(), HasSubstr("pass --ca-cert"));
    EXPECT_THAT(refused.status().message(), HasSubstr(server));
  }
}

TEST_F(ConnectionTest, CaCertMustBeAReadablePemCertificate) {
  auto missing = ChannelCredentialsFor(
      {.server = "10.0.0.5:7443", .ca_cert = dir_.Join("nope.pem")});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("--ca-cert: cannot read"));

  auto garbage = ChannelCredentialsFor(
      {.server = "10.0.0.5:7443", .ca_cert = Write("junk.pem", "junk")});
  ASSERT_FALSE(garbage.ok());
  EXPECT_TRUE(IsUsageError(garbage.status()));
  EXPECT_THAT(garbage.status().message(),
              HasSubstr("--ca-cert: no PEM certificate"));

  auto ca = tls::CertificateAuthority::Create("test CA", absl::Now());
  ASSERT_TRUE(ca.ok());
  const std::string pem = Write("ca.pem", *(*ca)->CertificatePem());
  EXPECT_TRUE(
      ChannelCredentialsFor({.server = "10.0.0.5:7443", .ca_cert = pem}).ok());
  EXPECT_TRUE(
      ChannelCredentialsFor({.server = "127.0.0.1:7443", .ca_cert = pem}).ok());
}

TEST(TransportHintTest, UnavailableSaysWhatToCheck) {
  const absl::Status down = absl::UnavailableError(
      "cannot reach mdefleet-server at h:1: failed to connect");
  EXPECT_THAT(WithTransportHint(down, "/etc/mdefleet/ca.pem").message(),
              HasSubstr("not issued by the CA in --ca-cert "
                        "/etc/mdefleet/ca.pem"));
  EXPECT_THAT(WithTransportHint(down, "").message(),
              HasSubstr("if the server serves TLS, pass --ca-cert"));
  const absl::Status other = absl::NotFoundError("job x");
  EXPECT_EQ(WithTransportHint(other, "ca.pem"), other);
}

}  // namespace
}  // namespace mdefleet::cli

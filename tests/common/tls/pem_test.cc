#include "common/tls/pem.h"

#include "common/tls/certificate_authority.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tls/tls_test_util.h"

namespace mdefleet::tls {
namespace {

using ::mdefleet::tls::testing::TestNow;
using ::testing::HasSubstr;
using ::testing::Not;

class PemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CertificateAuthority::Create("ca", TestNow());
    ASSERT_TRUE(ca.ok());
    ca_ = *std::move(ca);
    auto server = ca_->IssueServerCertificate(
        {{SubjectAltName::Type::kDns, "localhost"}}, TestNow());
    ASSERT_TRUE(server.ok());
    server_ = *std::move(server);
  }
  std::unique_ptr<CertificateAuthority> ca_;
  KeyAndCertificate server_;
};

TEST_F(PemTest, MatchingPairIsAccepted) {
  EXPECT_TRUE(CheckKeyPair(server_.certificate_pem, server_.key_pem,
                           "--tls-cert", "--tls-key", TestNow())
                  .ok());
}

TEST_F(PemTest, KeyOfAnotherCertificateIsRefused) {
  absl::Status status =
      CheckKeyPair(server_.certificate_pem, *ca_->PrivateKeyPem(), "--tls-cert",
                   "--tls-key", TestNow());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("--tls-key: is not the private key of the "
                        "certificate in --tls-cert"));
  EXPECT_THAT(status.message(), Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(PemTest, ExpiredCertificateIsRefused) {
  absl::Status status =
      CheckKeyPair(server_.certificate_pem, server_.key_pem, "--tls-cert",
                   "--tls-key", TestNow() + absl::Hours(24 * 800));
  EXPECT_THAT(status.message(),
              HasSubstr("--tls-cert: the certificate expired"));
}

TEST_F(PemTest, GarbageIsRefusedNamingTheFlag) {
  absl::Status cert = CheckKeyPair("garbage", server_.key_pem, "--tls-cert",
                                   "--tls-key", TestNow());
  EXPECT_THAT(cert.message(), HasSubstr("--tls-cert: no PEM certificate"));
  absl::Status key = CheckKeyPair(server_.certificate_pem,
                                  "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n"
                                  "-----END PRIVATE KEY-----\n",
                                  "--tls-cert", "--tls-key", TestNow());
  EXPECT_THAT(key.message(), HasSubstr("--tls-key: no unencrypted PEM"));
  EXPECT_THAT(key.message(), Not(HasSubstr("c2VjcmV0")));
  // A key passed where the certificate belongs.
  absl::Status swapped = CheckKeyPair(server_.key_pem, server_.certificate_pem,
                                      "--tls-cert", "--tls-key", TestNow());
  EXPECT_FALSE(swapped.ok());
}

TEST_F(PemTest, RoundTrips) {
  auto cert = ParseCertificatePem(server_.certificate_pem, "cert");
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(*CertificateToPem(**cert), server_.certificate_pem);
  auto key = ParsePrivateKeyPem(server_.key_pem, "key");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*PrivateKeyToPem(**key), server_.key_pem);
}

}  // namespace
}  // namespace mdefleet::tls

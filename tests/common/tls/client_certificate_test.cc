#include "common/tls/client_certificate.h"

#include "common/tls/certificate_authority.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tls/tls_test_util.h"

namespace mdefleet::tls {
namespace {

using ::mdefleet::tls::testing::CsrWithMismatchedKey;
using ::mdefleet::tls::testing::TestNow;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ClientCertificateTest, CsrVerifies) {
  auto request = CreateKeyAndCsr("SIM-2016-0002");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->csr_pem, HasSubstr("BEGIN CERTIFICATE REQUEST"));
  EXPECT_THAT(request->key_pem, HasSubstr("BEGIN PRIVATE KEY"));
  EXPECT_TRUE(VerifyCsr(request->csr_pem).ok());
}

TEST(ClientCertificateTest, EveryRequestHasItsOwnKey) {
  auto a = CreateKeyAndCsr("x");
  auto b = CreateKeyAndCsr("x");
  EXPECT_NE(a->key_pem, b->key_pem);
}

TEST(ClientCertificateTest, CsrWithAMismatchedKeyIsRefused) {
  auto a = CreateKeyAndCsr("a");
  auto b = CreateKeyAndCsr("b");
  absl::Status status = VerifyCsr(CsrWithMismatchedKey(a->key_pem, b->key_pem));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("csr_pem"));
  EXPECT_THAT(status.message(), HasSubstr("does not verify"));
}

TEST(ClientCertificateTest, GarbageCsrIsRefused) {
  for (absl::string_view garbage :
       {"", "hello",
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
        "-----END CERTIFICATE REQUEST-----\n"}) {
    absl::Status status = VerifyCsr(garbage);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << garbage;
    EXPECT_THAT(status.message(), HasSubstr("csr_pem")) << garbage;
  }
}

TEST(ClientCertificateTest, DeviceIdOfCertificateNeedsTheDeviceUri) {
  auto ca = CertificateAuthority::Create("ca", TestNow());
  ASSERT_TRUE(ca.ok());
  // A server certificate has no device URI.
  auto server = (*ca)->IssueServerCertificate(
      {{SubjectAltName::Type::kDns, "localhost"}}, TestNow());
  ASSERT_TRUE(server.ok());
  auto none = DeviceIdOfCertificate(server->certificate_pem);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("urn:mdefleet:device:"));
  // Nor has the CA certificate.
  EXPECT_FALSE(DeviceIdOfCertificate(*(*ca)->CertificatePem()).ok());
}

TEST(ClientCertificateTest, DeviceIdOfGarbageIsRefusedWithoutQuotingIt) {
  auto id = DeviceIdOfCertificate("-----BEGIN PRIVATE KEY-----\nsecret\n");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(id.status().message(), Not(HasSubstr("secret")));
}

TEST(ClientCertificateTest, DeviceIds) {
  EXPECT_TRUE(ValidateDeviceId("dev-0123abcd").ok());
  EXPECT_TRUE(ValidateDeviceId("a.b_c-D").ok());
  EXPECT_FALSE(ValidateDeviceId("").ok());
  EXPECT_FALSE(ValidateDeviceId("dev 1").ok());
  EXPECT_FALSE(ValidateDeviceId("dev/1").ok());
  EXPECT_FALSE(ValidateDeviceId(std::string(65, 'a')).ok());
  EXPECT_EQ(DeviceUri("dev-1"), "urn:mdefleet:device:dev-1");
}

TEST(ClientCertificateTest, ReadClientCertificateTellsWhatTheServerRecords) {
  auto ca = CertificateAuthority::Create("test CA", TestNow());
  ASSERT_TRUE(ca.ok()) << ca.status();
  auto request = CreateKeyAndCsr("SIM-2019-0001");
  ASSERT_TRUE(request.ok()) << request.status();
  auto a = (*ca)->IssueClientCertificate(request->csr_pem, "dev-1", TestNow());
  auto b = (*ca)->IssueClientCertificate(request->csr_pem, "dev-1", TestNow());
  ASSERT_TRUE(a.ok() && b.ok());
  auto info_a = ReadClientCertificate(*a);
  auto info_b = ReadClientCertificate(*b);
  ASSERT_TRUE(info_a.ok()) << info_a.status();
  ASSERT_TRUE(info_b.ok()) << info_b.status();
  EXPECT_EQ(info_a->device_id, "dev-1");
  EXPECT_EQ(info_a->sha256.size(), 64u);
  // Same device, same key, same dates: still two certificates (serials).
  EXPECT_NE(info_a->sha256, info_b->sha256);
  EXPECT_NE(info_a->serial, info_b->serial);
  EXPECT_EQ(info_a->key_sha256, info_b->key_sha256);
  EXPECT_EQ(info_a->key_sha256, *CsrKeySha256(request->csr_pem));
  auto other = CreateKeyAndCsr("SIM-2019-0001");
  EXPECT_NE(*CsrKeySha256(other->csr_pem), info_a->key_sha256);
  EXPECT_EQ(info_a->not_after, TestNow() + kClientValidity);
  EXPECT_EQ(info_a->not_before, TestNow() - absl::Hours(1));
  EXPECT_FALSE(ReadClientCertificate("garbage").ok());
  EXPECT_EQ(CsrKeySha256("garbage").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mdefleet::tls

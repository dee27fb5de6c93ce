#include "common/tls/certificate_authority.h"

#include <openssl/x509.h>

#include "common/tls/client_certificate.h"
#include "common/tls/pem.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tls/tls_test_util.h"

namespace mdefleet::tls {
namespace {

using ::mdefleet::tls::testing::CertificateMatchesHost;
using ::mdefleet::tls::testing::CertificateMatchesIp;
using ::mdefleet::tls::testing::CommonName;
using ::mdefleet::tls::testing::CsrWithMismatchedKey;
using ::mdefleet::tls::testing::TestNow;
using ::mdefleet::tls::testing::VerifyChain;
using ::testing::HasSubstr;

std::unique_ptr<CertificateAuthority> NewCa() {
  auto ca = CertificateAuthority::Create("mdefleet test CA", TestNow());
  EXPECT_TRUE(ca.ok()) << ca.status();
  return ca.ok() ? *std::move(ca) : nullptr;
}

std::vector<SubjectAltName> Names() {
  return {{SubjectAltName::Type::kDns, "mdefleet.corp.example"},
          {SubjectAltName::Type::kDns, "localhost"},
          {SubjectAltName::Type::kIp, "127.0.0.1"},
          {SubjectAltName::Type::kIp, "::1"},
          {SubjectAltName::Type::kIp, "10.0.0.5"}};
}

TEST(CertificateAuthorityTest, CreatesASelfSignedCaValidForTenYears) {
  auto ca = NewCa();
  ASSERT_NE(ca, nullptr);
  auto pem = ca->CertificatePem();
  ASSERT_TRUE(pem.ok());
  EXPECT_EQ(CommonName(*pem), "mdefleet test CA");
  auto cert = ParseCertificatePem(*pem, "ca");
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(X509_check_ca(cert->get()), 1);
  auto not_after = NotAfter(**cert);
  ASSERT_TRUE(not_after.ok());
  EXPECT_GT(*not_after, TestNow() + absl::Hours(24 * 3650));
  // The CA verifies against itself.
  EXPECT_EQ(VerifyChain(*pem, *pem, X509_PURPOSE_ANY, TestNow()), "");
}

TEST(CertificateAuthorityTest, TwoCasHaveDifferentKeys) {
  auto a = NewCa();
  auto b = NewCa();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(*a->PrivateKeyPem(), *b->PrivateKeyPem());
}

TEST(CertificateAuthorityTest, SavedAndLoadedCaStillSigns) {
  auto ca = NewCa();
  ASSERT_NE(ca, nullptr);
  auto loaded = CertificateAuthority::Load(
      *ca->CertificatePem(), *ca->PrivateKeyPem(), "ca.pem", "ca.key");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto server = (*loaded)->IssueServerCertificate(Names(), TestNow());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(VerifyChain(server->certificate_pem, *ca->CertificatePem(),
                        X509_PURPOSE_SSL_SERVER, TestNow()),
            "");
}

TEST(CertificateAuthorityTest, LoadRefusesAKeyOfAnotherCa) {
  auto a = NewCa();
  auto b = NewCa();
  auto loaded = CertificateAuthority::Load(
      *a->CertificatePem(), *b->PrivateKeyPem(), "ca.pem", "ca.key");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(),
              HasSubstr("ca.key: is not the private key of the CA "
                        "certificate in ca.pem"));
  EXPECT_THAT(loaded.status().message(), ::testing::Not(HasSubstr("BEGIN")));
}

TEST(CertificateAuthorityTest, LoadRefusesGarbageAndNonCaCertificates) {
  auto ca = NewCa();
  auto garbage = CertificateAuthority::Load(
      "not a certificate", *ca->PrivateKeyPem(), "ca.pem", "ca.key");
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(), HasSubstr("ca.pem: no PEM"));

  auto server = ca->IssueServerCertificate(Names(), TestNow());
  ASSERT_TRUE(server.ok());
  auto not_ca = CertificateAuthority::Load(server->certificate_pem,
                                           server->key_pem, "ca.pem", "ca.key");
  ASSERT_FALSE(not_ca.ok());
  EXPECT_THAT(not_ca.status().message(), HasSubstr("not a CA certificate"));
}

TEST(CertificateAuthorityTest, ServerCertificateCarriesEveryName) {
  auto ca = NewCa();
  auto server = ca->IssueServerCertificate(Names(), TestNow());
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string& pem = server->certificate_pem;
  EXPECT_EQ(CommonName(pem), "mdefleet.corp.example");
  EXPECT_TRUE(CertificateMatchesHost(pem, "mdefleet.corp.example"));
  EXPECT_TRUE(CertificateMatchesHost(pem, "localhost"));
  EXPECT_TRUE(CertificateMatchesIp(pem, "127.0.0.1"));
  EXPECT_TRUE(CertificateMatchesIp(pem, "::1"));
  EXPECT_TRUE(CertificateMatchesIp(pem, "10.0.0.5"));
  EXPECT_FALSE(CertificateMatchesHost(pem, "other.corp.example"));
  EXPECT_FALSE(CertificateMatchesIp(pem, "10.0.0.6"));
  EXPECT_TRUE(
      CheckKeyPair(pem, server->key_pem, "cert", "key", TestNow()).ok());
  // Valid about two years; not a client certificate.
  EXPECT_EQ(VerifyChain(pem, *ca->CertificatePem(), X509_PURPOSE_SSL_SERVER,
                        TestNow() + absl::Hours(24 * 700)),
            "");
  EXPECT_NE(VerifyChain(pem, *ca->CertificatePem(), X509_PURPOSE_SSL_SERVER,
                        TestNow() + absl::Hours(24 * 740)),
            "");
  EXPECT_NE(VerifyChain(pem, *ca->CertificatePem(), X509_PURPOSE_SSL_CLIENT,
                        TestNow()),
            "");
}

TEST(CertificateAuthorityTest, ServerCertificateFromAnotherCaDoesNotVerify) {
  auto ca = NewCa();
  auto other = NewCa();
  auto server = other->IssueServerCertificate(Names(), TestNow());
  ASSERT_TRUE(server.ok());
  EXPECT_NE(VerifyChain(server->certificate_pem, *ca->CertificatePem(),
                        X509_PURPOSE_SSL_SERVER, TestNow()),
            "");
}

TEST(CertificateAuthorityTest, ServerCertificateNeedsAName) {
  auto ca = NewCa();
  EXPECT_FALSE(ca->IssueServerCertificate({}, TestNow()).ok());
  auto bad_ip = ca->IssueServerCertificate(
      {{SubjectAltName::Type::kIp, "not-an-ip"}}, TestNow());
  EXPECT_EQ(bad_ip.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CertificateAuthorityTest, ClientCertificateNamesTheDevice) {
  auto ca = NewCa();
  auto request = CreateKeyAndCsr("SIM-2019-0001");
  ASSERT_TRUE(request.ok()) << request.status();
  auto cert =
      ca->IssueClientCertificate(request->csr_pem, "dev-0123abcd", TestNow());
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(CommonName(*cert), "dev-0123abcd");
  auto id = DeviceIdOfCertificate(*cert);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "dev-0123abcd");
  // The runner's own key goes with it; the CA never saw that key.
  EXPECT_TRUE(
      CheckKeyPair(*cert, request->key_pem, "cert", "key", TestNow()).ok());
  EXPECT_EQ(VerifyChain(*cert, *ca->CertificatePem(), X509_PURPOSE_SSL_CLIENT,
                        TestNow() + absl::Hours(24 * 360)),
            "");
  EXPECT_NE(VerifyChain(*cert, *ca->CertificatePem(), X509_PURPOSE_SSL_CLIENT,
                        TestNow() + absl::Hours(24 * 370)),
            "");
  EXPECT_NE(VerifyChain(*cert, *ca->CertificatePem(), X509_PURPOSE_SSL_SERVER,
                        TestNow()),
            "");
}

TEST(CertificateAuthorityTest, ClientCertificateRefusesBadRequests) {
  auto ca = NewCa();
  auto garbage = ca->IssueClientCertificate("garbage", "dev-1", TestNow());
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.status().message(), HasSubstr("csr_pem"));

  auto mine = CreateKeyAndCsr("a");
  auto theirs = CreateKeyAndCsr("b");
  const std::string forged =
      CsrWithMismatchedKey(mine->key_pem, theirs->key_pem);
  auto refused = ca->IssueClientCertificate(forged, "dev-1", TestNow());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("does not verify"));

  auto bad_id =
      ca->IssueClientCertificate(mine->csr_pem, "dev 1,CN=x", TestNow());
  ASSERT_FALSE(bad_id.ok());
  EXPECT_THAT(bad_id.status().message(), HasSubstr("device id"));
}

TEST(CertificateAuthorityTest, ClientCertificateLifetimeIsChosenByTheServer) {
  auto ca = NewCa();
  auto request = CreateKeyAndCsr("SIM-2019-0001");
  ASSERT_TRUE(request.ok()) << request.status();
  auto cert = ca->IssueClientCertificate(request->csr_pem, "dev-1", TestNow(),
                                         absl::Minutes(10));
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto info = ReadClientCertificate(*cert);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->not_after, TestNow() + absl::Minutes(10));
  // Backdated by a tenth of a short lifetime (an hour for long ones), so a
  // runner timing its renewal from notBefore sees about the lifetime asked.
  EXPECT_EQ(info->not_before, TestNow() - absl::Minutes(1));
  EXPECT_EQ(ClientBackdate(kClientValidity), absl::Hours(1));

  for (absl::Duration bad : {absl::Seconds(9), kCaValidity + absl::Hours(1)}) {
    auto refused =
        ca->IssueClientCertificate(request->csr_pem, "dev-1", TestNow(), bad);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(refused.status().message(), HasSubstr("lifetime"));
  }
}

}  // namespace
}  // namespace mdefleet::tls

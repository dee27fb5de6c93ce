#include "runner/client/identity_store.h"

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::MakeSim;

TEST(IdentityStore, TokenIsStoredProtectedAndLoadsBack) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  EXPECT_FALSE(LoadIdentity(*host)->has_value());
  const std::string token = "mdf_dev_ZZZtopSecretTokenZZZ";
  ASSERT_TRUE(SaveIdentity(*host, {"dev-1", token}).ok());
  auto mapped = host->LinuxPath(IdentityPath(*host));
  std::ifstream in(*mapped);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("device_id=dev-1"), std::string::npos);
  EXPECT_EQ(ss.str().find("topSecret"), std::string::npos);
  auto loaded = LoadIdentity(*host);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->device_id, "dev-1");
  EXPECT_EQ((*loaded)->device_token, token);
}

TEST(IdentityStore, ForeignOrBrokenFileIsDataLoss) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  ASSERT_TRUE(host->CreateDirectories(host->StateDirectory()).ok());
  ASSERT_TRUE(host->WriteFile(IdentityPath(*host),
                              "device_id=d\nprotected_token=bm9wZQ==\n")
                  .ok());
  EXPECT_TRUE(absl::IsDataLoss(LoadIdentity(*host).status()));
}

TEST(IdentityStore, ClientKeyIsStoredProtectedBesideTheCertificate) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  EXPECT_FALSE(LoadClientCertificate(*host)->has_value());
  const ClientCertificate certificate{
      "-----BEGIN PRIVATE KEY-----\nZZZtopSecretKeyZZZ\n-----END PRIVATE "
      "KEY-----\n",
      "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n"};
  ASSERT_TRUE(SaveClientCertificate(*host, certificate).ok());
  std::ifstream key(*host->LinuxPath(ClientKeyPath(*host)));
  std::stringstream key_text;
  key_text << key.rdbuf();
  EXPECT_EQ(key_text.str().find("topSecret"), std::string::npos);
  EXPECT_EQ(key_text.str().find("PRIVATE KEY"), std::string::npos);
  std::ifstream cert(*host->LinuxPath(ClientCertificatePath(*host)));
  std::stringstream cert_text;
  cert_text << cert.rdbuf();
  EXPECT_EQ(cert_text.str(), certificate.certificate_pem);

  auto loaded = LoadClientCertificate(*host);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->key_pem, certificate.key_pem);
  EXPECT_EQ((*loaded)->certificate_pem, certificate.certificate_pem);
}

TEST(IdentityStore, HalfAClientCertificateIsDataLoss) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  ASSERT_TRUE(host->CreateDirectories(host->StateDirectory()).ok());
  ASSERT_TRUE(host->WriteFile(ClientCertificatePath(*host), "pem").ok());
  EXPECT_TRUE(absl::IsDataLoss(LoadClientCertificate(*host).status()));
  ASSERT_TRUE(host->WriteFile(ClientKeyPath(*host), "bm9wZQ==\n").ok());
  // A key another machine protected (or garbage) cannot be unprotected.
  EXPECT_TRUE(absl::IsDataLoss(LoadClientCertificate(*host).status()));
}

TEST(IdentityStore, ARenewedCertificateReplacesTheOldPairWhole) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  const ClientCertificate old{"OLD-KEY", "OLD-CERT"};
  const ClientCertificate renewed{"NEW-ZZZtopSecretKeyZZZ", "NEW-CERT"};
  ASSERT_TRUE(SaveClientCertificate(*host, old).ok());
  ASSERT_TRUE(SaveRenewedClientCertificate(*host, renewed).ok());
  EXPECT_FALSE(*host->FileExists(RenewedClientCertificatePath(*host)));
  auto loaded = LoadClientCertificate(*host);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->key_pem, renewed.key_pem);
  EXPECT_EQ((*loaded)->certificate_pem, renewed.certificate_pem);
}

TEST(IdentityStore, ACrashDuringRenewalLeavesAWholePair) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  const ClientCertificate old{"OLD-KEY", "OLD-CERT"};
  const ClientCertificate renewed{"NEW-ZZZtopSecretKeyZZZ", "NEW-CERT"};
  ASSERT_TRUE(SaveClientCertificate(*host, old).ok());
  // As SaveRenewedClientCertificate leaves it when the process dies after
  // its first write, then after replacing the key but not the certificate.
  ASSERT_TRUE(SaveRenewedClientCertificate(*host, renewed).ok());
  ASSERT_TRUE(SaveClientCertificate(*host, old).ok());
  ASSERT_TRUE(
      host->WriteFile(
              RenewedClientCertificatePath(*host),
              "protected_key=" +
                  absl::Base64Escape(*host->ProtectSecret(renewed.key_pem)) +
                  "\ncertificate=" +
                  absl::Base64Escape(renewed.certificate_pem) + "\n")
          .ok());
  auto mapped = host->LinuxPath(RenewedClientCertificatePath(*host));
  std::ifstream in(*mapped);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().find("topSecret"), std::string::npos);
  ASSERT_TRUE(
      host->WriteFile(ClientKeyPath(*host),
                      absl::Base64Escape(*host->ProtectSecret(renewed.key_pem)))
          .ok());  // the key replaced, client.pem still the old certificate
  auto loaded = LoadClientCertificate(*host);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->key_pem, renewed.key_pem);
  EXPECT_EQ((*loaded)->certificate_pem, renewed.certificate_pem);
  // The replacement was finished: the plain files hold the new pair.
  EXPECT_FALSE(*host->FileExists(RenewedClientCertificatePath(*host)));
  auto again = LoadClientCertificate(*host);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->certificate_pem, renewed.certificate_pem);
  EXPECT_EQ((*again)->key_pem, renewed.key_pem);
}

}  // namespace
}  // namespace mdefleet::runner

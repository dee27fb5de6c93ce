#include "server/service/certificate_info_cache.h"

#include <string>

#include "absl/strings/str_format.h"
#include "common/tls/certificate_authority.h"
#include "common/tls/client_certificate.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using service::CertificateInfoCache;

class CertificateInfoCacheTest : public ::testing::Test {
 protected:
  std::string Certificate(const std::string& device_id) {
    auto csr = tls::CreateKeyAndCsr("host");
    EXPECT_TRUE(csr.ok()) << csr.status();
    auto pem = (*ca_)->IssueClientCertificate(csr->csr_pem, device_id,
                                              TestEpoch(), absl::Hours(24));
    EXPECT_TRUE(pem.ok()) << pem.status();
    return pem.ok() ? *pem : "";
  }

  absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca_ =
      tls::CertificateAuthority::Create("test CA", TestEpoch());
};

void ExpectSame(const tls::ClientCertificateInfo& a,
                const tls::ClientCertificateInfo& b) {
  EXPECT_EQ(a.device_id, b.device_id);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.serial, b.serial);
  EXPECT_EQ(a.key_sha256, b.key_sha256);
  EXPECT_EQ(a.not_before, b.not_before);
  EXPECT_EQ(a.not_after, b.not_after);
}

TEST_F(CertificateInfoCacheTest, AnswersAsReadClientCertificateOncePerPem) {
  ASSERT_TRUE(ca_.ok()) << ca_.status();
  const std::string a = Certificate("dev-aaaaaaaaaaaaaaaa");
  const std::string b = Certificate("dev-bbbbbbbbbbbbbbbb");
  CertificateInfoCache cache(16);
  for (int round = 0; round < 3; ++round) {
    for (const std::string* pem : {&a, &b}) {
      auto cached = cache.Read(*pem);
      auto direct = tls::ReadClientCertificate(*pem);
      ASSERT_TRUE(cached.has_value());
      ASSERT_TRUE(direct.ok()) << direct.status();
      ExpectSame(*cached, *direct);
    }
  }
  EXPECT_EQ(cache.Read(a)->device_id, "dev-aaaaaaaaaaaaaaaa");
  EXPECT_EQ(cache.Read(b)->device_id, "dev-bbbbbbbbbbbbbbbb");
  const CertificateInfoCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.hits, 6u);
  EXPECT_EQ(stats.entries, 2u);
}

TEST_F(CertificateInfoCacheTest, AnUnreadableCertificateIsNotKept) {
  CertificateInfoCache cache(16);
  EXPECT_FALSE(cache.Read("not a certificate").has_value());
  EXPECT_FALSE(cache.Read("not a certificate").has_value());
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().misses, 2u);
}

TEST_F(CertificateInfoCacheTest, OneChangedByteIsAnotherCertificate) {
  ASSERT_TRUE(ca_.ok()) << ca_.status();
  const std::string pem = Certificate("dev-aaaaaaaaaaaaaaaa");
  CertificateInfoCache cache(16);
  ASSERT_TRUE(cache.Read(pem).has_value());
  // The same bytes with trailing text: read again, not taken from the
  // cache (the key is the whole PEM's digest).
  const std::string padded = pem + "\n";
  ASSERT_TRUE(cache.Read(padded).has_value());
  EXPECT_EQ(cache.stats().misses, 2u);
}

TEST_F(CertificateInfoCacheTest, StaysWithinItsCapacity) {
  ASSERT_TRUE(ca_.ok()) << ca_.status();
  CertificateInfoCache cache(3);
  for (int i = 0; i < 10; ++i) {
    const std::string pem = Certificate(absl::StrFormat("dev-%016x", i + 1));
    auto info = cache.Read(pem);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->device_id, absl::StrFormat("dev-%016x", i + 1));
    EXPECT_LE(cache.stats().entries, 3u);
  }
}

}  // namespace
}  // namespace mdefleet::testing

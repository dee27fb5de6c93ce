// init's TLS directory: a new CA and server certificate, or the operator's
// pair; bad flags refused before anything is written.
#include "server/tls/tls_dir.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/tls/certificate_authority.h"
#include "common/tls/client_certificate.h"
#include "common/tls/pem.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::server_tls {
namespace {

using ::mdefleet::testing::TempDir;
using ::mdefleet::testing::TestEpoch;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

void Write(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

TEST(TlsDirTest, DefaultDirectoryIsNextToTheDatabase) {
  EXPECT_EQ(*TlsDirectory("/var/lib/mdefleet/m.db", ""),
            "/var/lib/mdefleet/m.db.tls");
  EXPECT_EQ(*TlsDirectory("/var/lib/mdefleet/m.db", "/etc/mdefleet/tls"),
            "/etc/mdefleet/tls");
  EXPECT_EQ(PathsIn("/d").ca_key, "/d/ca.key");
  EXPECT_EQ(PathsIn("/d").server_cert, "/d/server.pem");
}

TEST(TlsDirTest, PostgresStoreNeedsTheDirectoryNamed) {
  auto derived = TlsDirectory("postgresql://mdefleet@db1/mdefleet", "");
  EXPECT_EQ(derived.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(derived.status().message(), HasSubstr("--tls-dir"));
  EXPECT_EQ(*TlsDirectory("postgres://db1/mdefleet", "/etc/mdefleet/tls"),
            "/etc/mdefleet/tls");
}

TEST(TlsDirTest, CreatesCaAndServerCertificateWithTheNames) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/m.db.tls";
  auto material = PrepareTls({.dir = dir,
                              .sans = {"mdefleet.corp.example", "10.0.0.5"},
                              .hostname = "srv01"},
                             TestEpoch());
  ASSERT_TRUE(material.ok()) << material.status();
  EXPECT_THAT(material->server_names, Contains("DNS:localhost"));
  EXPECT_THAT(material->server_names, Contains("IP:127.0.0.1"));
  EXPECT_THAT(material->server_names, Contains("IP:::1"));
  EXPECT_THAT(material->server_names, Contains("DNS:srv01"));
  EXPECT_THAT(material->server_names, Contains("DNS:mdefleet.corp.example"));
  EXPECT_THAT(material->server_names, Contains("IP:10.0.0.5"));
  EXPECT_FALSE(std::filesystem::exists(dir));  // nothing written yet

  ASSERT_TRUE(WriteTlsDir(dir, *material).ok());
  const TlsDirPaths paths = PathsIn(dir);
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(paths.ca_key), 0600u);
  EXPECT_EQ(ModeOf(paths.server_key), 0600u);
  EXPECT_EQ(ModeOf(paths.ca_cert), 0644u);
  EXPECT_EQ(ModeOf(paths.server_cert), 0644u);

  auto ca_pem = ReadPemFile(paths.ca_cert, "ca");
  auto ca_key = ReadPemFile(paths.ca_key, "key");
  ASSERT_TRUE(ca_pem.ok() && ca_key.ok());
  EXPECT_TRUE(
      tls::CertificateAuthority::Load(*ca_pem, *ca_key, "ca.pem", "ca.key")
          .ok());
  EXPECT_TRUE(tls::CheckKeyPair(*ReadPemFile(paths.server_cert, "c"),
                                *ReadPemFile(paths.server_key, "k"), "c", "k",
                                TestEpoch())
                  .ok());
}

TEST(TlsDirTest, NeverOverwritesAnExistingDirectory) {
  TempDir tmp;
  auto material = PrepareTls({.dir = tmp.path()}, TestEpoch());
  ASSERT_FALSE(material.ok());
  EXPECT_EQ(material.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(material.status().message(), HasSubstr("--tls-dir"));
}

TEST(TlsDirTest, BadSanIsRefusedNamingTheFlag) {
  TempDir tmp;
  auto material = PrepareTls(
      {.dir = tmp.path() + "/tls", .sans = {"good.example", "bad name"}},
      TestEpoch());
  ASSERT_FALSE(material.ok());
  EXPECT_THAT(material.status().message(), HasSubstr("--san \"bad name\""));
}

TEST(TlsDirTest, OperatorsOwnPairIsCheckedAndCopied) {
  TempDir tmp;
  auto ca = tls::CertificateAuthority::Create("corp CA", TestEpoch());
  ASSERT_TRUE(ca.ok());
  auto server = (*ca)->IssueServerCertificate(
      {{tls::SubjectAltName::Type::kDns, "mdefleet.corp"}}, TestEpoch());
  ASSERT_TRUE(server.ok());
  Write(tmp.path() + "/server.crt", server->certificate_pem);
  Write(tmp.path() + "/server.key", server->key_pem);
  Write(tmp.path() + "/other.key", *(*ca)->PrivateKeyPem());

  const std::string dir = tmp.path() + "/tls";
  auto material = PrepareTls({.dir = dir,
                              .cert_file = tmp.path() + "/server.crt",
                              .key_file = tmp.path() + "/server.key"},
                             TestEpoch());
  ASSERT_TRUE(material.ok()) << material.status();
  EXPECT_TRUE(material->ca_cert_pem.empty());
  ASSERT_TRUE(WriteTlsDir(dir, *material).ok());
  EXPECT_FALSE(std::filesystem::exists(PathsIn(dir).ca_cert));
  EXPECT_FALSE(std::filesystem::exists(PathsIn(dir).ca_key));
  EXPECT_EQ(*ReadPemFile(PathsIn(dir).server_key, "k"), server->key_pem);

  auto mismatch = PrepareTls({.dir = tmp.path() + "/tls2",
                              .cert_file = tmp.path() + "/server.crt",
                              .key_file = tmp.path() + "/other.key"},
                             TestEpoch());
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(),
              HasSubstr("--tls-key: is not the private key"));
  EXPECT_THAT(mismatch.status().message(), Not(HasSubstr("PRIVATE KEY")));

  auto missing = PrepareTls({.dir = tmp.path() + "/tls3",
                             .cert_file = tmp.path() + "/nope.crt",
                             .key_file = tmp.path() + "/server.key"},
                            TestEpoch());
  EXPECT_THAT(missing.status().message(), HasSubstr("--tls-cert: cannot read"));

  auto with_san = PrepareTls({.dir = tmp.path() + "/tls4",
                              .sans = {"x.example"},
                              .cert_file = tmp.path() + "/server.crt",
                              .key_file = tmp.path() + "/server.key"},
                             TestEpoch());
  EXPECT_THAT(with_san.status().message(), HasSubstr("--san"));

  auto half = PrepareTls(
      {.dir = tmp.path() + "/tls5", .cert_file = tmp.path() + "/server.crt"},
      TestEpoch());
  EXPECT_THAT(half.status().message(), HasSubstr("--tls-cert and --tls-key"));
}

}  // namespace
}  // namespace mdefleet::server_tls

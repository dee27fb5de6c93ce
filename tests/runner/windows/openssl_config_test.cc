// The runner's OpenSSL (cross-built by cmake/windows_deps.cmake) loads no
// configuration file: a LocalSystem service must not read an openssl.cnf
// from a folder a user could create. Its compiled-in directory is one only
// administrators can create, and even an openssl.cnf there (or one named by
// OPENSSL_CONF) that would break TLS is not read.
#include <windows.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "openssl/crypto.h"
#include "openssl/err.h"
#include "openssl/ssl.h"

namespace {

using ::testing::HasSubstr;

// Loading this fails: it activates a provider that does not exist.
constexpr char kBrokenConfig[] =
    "openssl_conf = openssl_init\n"
    "[openssl_init]\n"
    "providers = provider_sect\n"
    "[provider_sect]\n"
    "mdefleet_missing = missing_sect\n"
    "[missing_sect]\n"
    "activate = 1\n";

TEST(OpenSslBuild, ItsDirectoryIsAdministratorsOnly) {
  EXPECT_THAT(OpenSSL_version(OPENSSL_DIR),
              HasSubstr("C:/Windows/mdefleet-openssl"));
}

TEST(OpenSslBuild, LoadsNoConfigurationFile) {
  const std::filesystem::path dir = "C:/Windows/mdefleet-openssl";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ASSERT_FALSE(ec) << ec.message();
  std::ofstream(dir / "openssl.cnf") << kBrokenConfig;
  const std::filesystem::path named =
      std::filesystem::temp_directory_path() / "mdefleet-broken-openssl.cnf";
  std::ofstream(named) << kBrokenConfig;
  ASSERT_TRUE(SetEnvironmentVariableA("OPENSSL_CONF", named.string().c_str()));
  _putenv_s("OPENSSL_CONF", named.string().c_str());

  // What gRPC does first: the default initialisation, which would load the
  // configuration where autoloading is built in.
  EXPECT_EQ(OPENSSL_init_ssl(0, nullptr), 1);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  EXPECT_NE(ctx, nullptr);
  EXPECT_EQ(ERR_peek_error(), 0u) << ERR_error_string(ERR_peek_error(), nullptr);
  SSL_CTX_free(ctx);

  std::filesystem::remove(dir / "openssl.cnf", ec);
  std::filesystem::remove(dir, ec);
  std::filesystem::remove(named, ec);
}

}  // namespace

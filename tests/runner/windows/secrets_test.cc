// DPAPI machine-scope secrets through WindowsHost.
//
// Wine's DPAPI is not Windows': it keeps no master keys and ignores machine
// scope, and it does not check every header byte (a flipped byte in the
// master-key GUID goes unnoticed there, where Windows fails for want of that
// key). What Wine does check, and these tests use, is the MAC over the
// encrypted data, the entropy, and the blob's structure. That a blob from
// another machine fails, and that machine scope lets the LocalSystem service
// read back across reboots, can only be seen on Windows.
#include "runner/host/windows/secrets.h"

#include <windows.h>
// windows.h first: this needs its types.
#include <wincrypt.h>

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SecretsTest : public ::mdefleet::testing::WindowsHostTest {
 protected:
  void ExpectDataLoss(const std::string& blob, const std::string& what) {
    auto back = host_->UnprotectSecret(blob);
    EXPECT_EQ(back.status().code(), absl::StatusCode::kDataLoss) << what;
    EXPECT_THAT(back.status().message(),
                HasSubstr("not made on this machine or was altered"))
        << what;
  }
};

TEST_F(SecretsTest, RoundTrips) {
  const std::string token = "mdf_device_3q2+7w9ZbQ-secret-token";
  std::string binary(100000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) {
    binary[i] = static_cast<char>(i % 251);
  }
  for (const std::string& plaintext : {token, binary, std::string()}) {
    auto blob = host_->ProtectSecret(plaintext);
    ASSERT_TRUE(blob.ok()) << blob.status();
    if (!plaintext.empty()) {
      EXPECT_THAT(*blob, Not(HasSubstr(plaintext.substr(0, 16))));
    }
    auto back = host_->UnprotectSecret(*blob);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, plaintext);
  }
}

TEST_F(SecretsTest, AlteredBlobsAreDataLoss) {
  auto blob = host_->ProtectSecret(std::string(64, 'S'));
  ASSERT_TRUE(blob.ok()) << blob.status();
  std::string last = *blob;
  last.back() ^= 0x5a;  // the MAC
  ExpectDataLoss(last, "last byte flipped");
  std::string cipher = *blob;
  cipher[cipher.size() * 3 / 4] ^= 0x5a;  // the encrypted data
  ExpectDataLoss(cipher, "cipher text flipped");
  ExpectDataLoss(blob->substr(0, blob->size() - 10), "truncated");
  ExpectDataLoss("junk", "junk");
  ExpectDataLoss("", "empty");
}

TEST_F(SecretsTest, BlobsOfOtherProgramsAreDataLoss) {
  // Machine-scope DPAPI without the runner's entropy: another program's
  // blob on this very machine is refused.
  std::string plaintext = "someone else's secret";
  DATA_BLOB in = {static_cast<DWORD>(plaintext.size()),
                  reinterpret_cast<BYTE*>(plaintext.data())};
  DATA_BLOB out = {};
  ASSERT_TRUE(CryptProtectData(
      &in, nullptr, nullptr, nullptr, nullptr,
      CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN, &out));
  UniqueLocal<BYTE> owned(out.pbData);
  ExpectDataLoss(std::string(reinterpret_cast<char*>(out.pbData), out.cbData),
                 "no entropy");
}

}  // namespace
}  // namespace mdefleet::runner::win

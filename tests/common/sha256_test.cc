#include "common/sha256.h"

#include <string>

#include "common/random.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(
      Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, IncrementalMatchesOneShot) {
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  Sha256 hash;
  for (size_t i = 0; i < data.size(); i += 4093) {
    hash.Update(absl::string_view(data).substr(i, 4093));
  }
  EXPECT_EQ(hash.FinishHex(), Sha256Hex(data));
}

TEST(RandomTest, TokenHasPrefixAndBase64UrlBody) {
  const std::string token = RandomToken("mdf_dev_", 32);
  ASSERT_EQ(token.rfind("mdf_dev_", 0), 0u);
  const std::string body = token.substr(8);
  EXPECT_EQ(body.size(), 43u);  // 32 bytes, unpadded base64
  for (char c : body) {
    EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')
        << c;
  }
  EXPECT_NE(RandomToken("mdf_dev_", 32), token);
}

TEST(RandomTest, HexHasTwoCharactersPerByte) {
  const std::string hex = RandomHex(16);
  EXPECT_EQ(hex.size(), 32u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace mdefleet

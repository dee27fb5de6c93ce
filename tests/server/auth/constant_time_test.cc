#include "server/auth/constant_time.h"

#include <string>

#include "gtest/gtest.h"

namespace mdefleet {
namespace {

TEST(ConstantTimeEqualsTest, EqualOnlyWhenEveryByteAndTheLengthMatch) {
  const std::string hash(32, '\x5a');
  EXPECT_TRUE(ConstantTimeEquals(hash, hash));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  std::string last = hash;
  last.back() = '\x5b';
  EXPECT_FALSE(ConstantTimeEquals(hash, last));
  std::string first = hash;
  first.front() = '\0';
  EXPECT_FALSE(ConstantTimeEquals(hash, first));
  EXPECT_FALSE(ConstantTimeEquals(hash, hash.substr(1)));
  EXPECT_FALSE(ConstantTimeEquals(hash, ""));
}

}  // namespace
}  // namespace mdefleet

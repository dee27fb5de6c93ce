#include "common/gzip.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;

TEST(Gzip, RoundTripsAndShrinksLogs) {
  std::string log;
  for (int i = 0; i < 2000; ++i) {
    log += "MSI (s) (A4:B8) [10:00:00:000]: Doing action: InstallFiles\r\n";
  }
  absl::StatusOr<std::string> gz = GzipCompress(log);
  ASSERT_TRUE(gz.ok()) << gz.status();
  EXPECT_LT(gz->size() * 10, log.size());
  // A gzip stream (RFC 1952): the magic bytes.
  EXPECT_EQ(gz->substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(*GzipDecompress(*gz, log.size()), log);
  EXPECT_EQ(*GzipDecompress(*GzipCompress(""), 0), "");
}

TEST(Gzip, TheBoundHolds) {
  const std::string zeros(1 << 20, '\0');
  const std::string gz = *GzipCompress(zeros);
  EXPECT_THAT(GzipDecompress(gz, (1 << 20) - 1).status().message(),
              HasSubstr("holds more than 1048575 bytes uncompressed"));
  EXPECT_TRUE(GzipDecompress(gz, 1 << 20).ok());
}

TEST(Gzip, AnythingButOneWholeStreamIsRefused) {
  const std::string gz = *GzipCompress("hello");
  for (const std::string& bad :
       {std::string("hello"), gz.substr(0, gz.size() - 3), gz + "trailing",
        std::string()}) {
    absl::StatusOr<std::string> out = GzipDecompress(bad, 1 << 20);
    EXPECT_TRUE(absl::IsInvalidArgument(out.status())) << bad.size();
  }
}

}  // namespace
}  // namespace mdefleet

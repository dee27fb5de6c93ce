#include "common/duration_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;

TEST(ParseDurationTextTest, UnitsCompoundsAndFractions) {
  EXPECT_EQ(*ParseDurationText("90s", "x"), absl::Seconds(90));
  EXPECT_EQ(*ParseDurationText("36h", "x"), absl::Hours(36));
  EXPECT_EQ(*ParseDurationText("7d", "x"), absl::Hours(7 * 24));
  EXPECT_EQ(*ParseDurationText("2w", "x"), absl::Hours(14 * 24));
  EXPECT_EQ(*ParseDurationText("250ms", "x"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseDurationText("1h30m", "x"), absl::Minutes(90));
  EXPECT_EQ(*ParseDurationText("0.5d", "x"), absl::Hours(12));
  EXPECT_EQ(*ParseDurationText("0", "x"), absl::ZeroDuration());
}

TEST(ParseDurationTextTest, BadValuesAreInvalidArgumentNamingTheField) {
  for (const char* bad : {"", "10", "-5m", "5x", "m", "1.2.3s", "5 m", "h1",
                          "10mm", "1e400s", "999999999999w"}) {
    absl::StatusOr<absl::Duration> d = ParseDurationText(bad, "offline_for");
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(d.status().message(), HasSubstr("offline_for \"")) << bad;
  }
}

TEST(ToProtoDurationTest, SplitsSecondsAndNanos) {
  google::protobuf::Duration p = ToProtoDuration(absl::Milliseconds(2500));
  EXPECT_EQ(p.seconds(), 2);
  EXPECT_EQ(p.nanos(), 500000000);
}

}  // namespace
}  // namespace mdefleet

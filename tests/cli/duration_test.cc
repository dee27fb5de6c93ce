#include "server/cli/duration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/cli/errors.h"

namespace mdefleet::cli {
namespace {

using ::testing::HasSubstr;

TEST(ParseCliDurationTest, Units) {
  EXPECT_EQ(*ParseCliDuration("90s", "--x"), absl::Seconds(90));
  EXPECT_EQ(*ParseCliDuration("10m", "--x"), absl::Minutes(10));
  EXPECT_EQ(*ParseCliDuration("2h", "--x"), absl::Hours(2));
  EXPECT_EQ(*ParseCliDuration("7d", "--x"), absl::Hours(7 * 24));
  EXPECT_EQ(*ParseCliDuration("1w", "--x"), absl::Hours(7 * 24));
  EXPECT_EQ(*ParseCliDuration("500ms", "--x"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseCliDuration("0", "--x"), absl::ZeroDuration());
}

TEST(ParseCliDurationTest, CompoundAndFractions) {
  EXPECT_EQ(*ParseCliDuration("1h30m", "--x"), absl::Minutes(90));
  EXPECT_EQ(*ParseCliDuration("1d2h3m4s", "--x"),
            absl::Hours(26) + absl::Minutes(3) + absl::Seconds(4));
  EXPECT_EQ(*ParseCliDuration("1.5h", "--x"), absl::Minutes(90));
  EXPECT_EQ(*ParseCliDuration(" 30s ", "--x"), absl::Seconds(30));
}

TEST(ParseCliDurationTest, BadValuesAreUsageErrorsNamingTheFlag) {
  for (const char* bad :
       {"", "10", "-5m", "5x", "m", "1.2.3s", "5 m", "h1", "10mm"}) {
    auto d = ParseCliDuration(bad, "--seen-within");
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_TRUE(IsUsageError(d.status())) << bad;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("--seen-within"))
        << bad;
  }
}

TEST(ToProtoDurationTest, SecondsAndNanos) {
  auto p = ToProtoDuration(absl::Milliseconds(1500));
  EXPECT_EQ(p.seconds(), 1);
  EXPECT_EQ(p.nanos(), 500000000);
  auto day = ToProtoDuration(absl::Hours(24));
  EXPECT_EQ(day.seconds(), 86400);
  EXPECT_EQ(day.nanos(), 0);
}

TEST(FormatShortDurationTest, PicksTwoLargestUnits) {
  EXPECT_EQ(FormatShortDuration(absl::Milliseconds(300)), "0s");
  EXPECT_EQ(FormatShortDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(FormatShortDuration(absl::Seconds(125)), "2m5s");
  EXPECT_EQ(FormatShortDuration(absl::Minutes(12)), "12m");
  EXPECT_EQ(FormatShortDuration(absl::Minutes(185)), "3h5m");
  EXPECT_EQ(FormatShortDuration(absl::Hours(52)), "2d4h");
  EXPECT_EQ(FormatShortDuration(absl::Hours(48)), "2d");
  EXPECT_EQ(FormatShortDuration(-absl::Seconds(3)), "0s");
}

TEST(ParseRfc3339Test, UtcAndOffsets) {
  EXPECT_EQ(ParseRfc3339("2024-05-01T12:00:00Z"),
            absl::FromUnixSeconds(1714564800));
  EXPECT_EQ(ParseRfc3339(" 2024-05-01T14:00:00+02:00 "),
            absl::FromUnixSeconds(1714564800));
  EXPECT_EQ(ParseRfc3339("2024-05-01T12:00:00.5Z"),
            absl::FromUnixMillis(1714564800500));
  EXPECT_EQ(ParseRfc3339("2024-05-01"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("24h"), std::nullopt);
}

TEST(ParseCliTimeOrAgoTest, ADurationCountsBackFromNow) {
  const absl::Time now = absl::FromUnixSeconds(1714564800);
  EXPECT_EQ(*ParseCliTimeOrAgo("24h", "--since", now), now - absl::Hours(24));
  EXPECT_EQ(*ParseCliTimeOrAgo("1h30m", "--since", now),
            now - absl::Minutes(90));
  EXPECT_EQ(*ParseCliTimeOrAgo("0", "--until", now), now);
  EXPECT_EQ(*ParseCliTimeOrAgo("2024-04-30T00:00:00Z", "--since", now),
            absl::FromUnixSeconds(1714435200));
  for (const char* bad : {"", "yesterday", "-1h", "2024-05-01", "5x"}) {
    auto t = ParseCliTimeOrAgo(bad, "--since", now);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_TRUE(IsUsageError(t.status())) << bad;
    EXPECT_THAT(std::string(t.status().message()),
                HasSubstr("--since \"" + std::string(bad) +
                          "\": expected a duration before now"))
        << bad;
  }
}

TEST(ToProtoTimestampTest, SecondsAndNanos) {
  auto ts = ToProtoTimestamp(absl::FromUnixMillis(1714564800250));
  EXPECT_EQ(ts.seconds(), 1714564800);
  EXPECT_EQ(ts.nanos(), 250000000);
  auto before_epoch = ToProtoTimestamp(absl::FromUnixMillis(-1500));
  EXPECT_EQ(before_epoch.seconds(), -2);
  EXPECT_EQ(before_epoch.nanos(), 500000000);
}

}  // namespace
}  // namespace mdefleet::cli

#include "common/os_family.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;

TEST(OsFamilyFromVersionTest, KnownBuilds) {
  EXPECT_EQ(OsFamilyFromVersion("6.3.9600"), v1::OS_FAMILY_WS2012R2);
  EXPECT_EQ(OsFamilyFromVersion("6.3.9600.21620"), v1::OS_FAMILY_WS2012R2);
  EXPECT_EQ(OsFamilyFromVersion("10.0.14393.6897"), v1::OS_FAMILY_WS2016);
  EXPECT_EQ(OsFamilyFromVersion("10.0.17763.5122"), v1::OS_FAMILY_WS2019);
  EXPECT_EQ(OsFamilyFromVersion("10.0.20348"), v1::OS_FAMILY_WS2022);
  EXPECT_EQ(OsFamilyFromVersion("10.0.26100.1742"), v1::OS_FAMILY_WS2025);
}

TEST(OsFamilyFromVersionTest, UnknownOrMalformed) {
  for (const char* v : {"", "10", "10.0", "10.0.19045", "6.1.7601", "6.2.9200",
                        "11.0.17763", "10.1.17763", "a.b.c", "10.0.x"}) {
    EXPECT_EQ(OsFamilyFromVersion(v), v1::OS_FAMILY_UNSPECIFIED) << v;
  }
}

TEST(OsBuildFromVersionTest, ReadsTheThirdPart) {
  EXPECT_EQ(OsBuildFromVersion("10.0.17763.5122"), 17763u);
  EXPECT_EQ(OsBuildFromVersion("6.3.9600"), 9600u);
  EXPECT_EQ(OsBuildFromVersion("10.0"), 0u);
  EXPECT_EQ(OsBuildFromVersion("garbage"), 0u);
}

TEST(OsFamilyNameTest, NamesRoundTrip) {
  for (v1::OsFamily f :
       {v1::OS_FAMILY_WS2012R2, v1::OS_FAMILY_WS2016, v1::OS_FAMILY_WS2019,
        v1::OS_FAMILY_WS2022, v1::OS_FAMILY_WS2025}) {
    auto parsed = ParseOsFamily(OsFamilyName(f));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, f);
  }
  EXPECT_EQ(OsFamilyName(v1::OS_FAMILY_WS2012R2), "2012r2");
  EXPECT_EQ(OsFamilyName(v1::OS_FAMILY_UNSPECIFIED), "unknown");
}

TEST(ParseOsFamilyTest, AcceptsCommonSpellings) {
  EXPECT_EQ(*ParseOsFamily("ws2019"), v1::OS_FAMILY_WS2019);
  EXPECT_EQ(*ParseOsFamily("WS2016"), v1::OS_FAMILY_WS2016);
  EXPECT_EQ(*ParseOsFamily("2012 R2"), v1::OS_FAMILY_WS2012R2);
  EXPECT_EQ(*ParseOsFamily("OS_FAMILY_WS2022"), v1::OS_FAMILY_WS2022);
  EXPECT_EQ(*ParseOsFamily("Windows Server 2025"), v1::OS_FAMILY_WS2025);
}

TEST(ParseOsFamilyTest, RejectsUnknownNamingTheChoices) {
  auto parsed = ParseOsFamily("2008");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("\"2008\""));
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("2012r2, 2016, 2019, 2022, 2025"));
  EXPECT_FALSE(ParseOsFamily("").ok());
}

TEST(UsesUnifiedAgentInstallerTest, OnlyDownlevel) {
  EXPECT_TRUE(UsesUnifiedAgentInstaller(v1::OS_FAMILY_WS2012R2));
  EXPECT_TRUE(UsesUnifiedAgentInstaller(v1::OS_FAMILY_WS2016));
  EXPECT_FALSE(UsesUnifiedAgentInstaller(v1::OS_FAMILY_WS2019));
  EXPECT_FALSE(UsesUnifiedAgentInstaller(v1::OS_FAMILY_WS2022));
  EXPECT_FALSE(UsesUnifiedAgentInstaller(v1::OS_FAMILY_WS2025));
  EXPECT_FALSE(UsesUnifiedAgentInstaller(v1::OS_FAMILY_UNSPECIFIED));
}

TEST(MdeStateTest, NamesRoundTrip) {
  for (v1::MdeState s :
       {v1::MDE_STATE_NOT_INSTALLED, v1::MDE_STATE_NOT_ONBOARDED,
        v1::MDE_STATE_ONBOARDED, v1::MDE_STATE_SENSE_NOT_RUNNING}) {
    auto parsed = ParseMdeState(MdeStateName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(*ParseMdeState("MDE_STATE_ONBOARDED"), v1::MDE_STATE_ONBOARDED);
  EXPECT_FALSE(ParseMdeState("healthy").ok());
}

TEST(DeriveMdeStateTest, FromFacts) {
  v1::DeviceFacts facts;
  EXPECT_EQ(DeriveMdeState(facts), v1::MDE_STATE_NOT_INSTALLED);
  facts.set_sensor_installed(true);
  facts.set_sense_state(v1::SERVICE_STATE_STOPPED);
  facts.set_onboarding_state(-1);
  EXPECT_EQ(DeriveMdeState(facts), v1::MDE_STATE_NOT_ONBOARDED);
  facts.set_onboarding_state(0);
  EXPECT_EQ(DeriveMdeState(facts), v1::MDE_STATE_NOT_ONBOARDED);
  facts.set_onboarding_state(1);
  EXPECT_EQ(DeriveMdeState(facts), v1::MDE_STATE_SENSE_NOT_RUNNING);
  facts.set_sense_state(v1::SERVICE_STATE_RUNNING);
  EXPECT_EQ(DeriveMdeState(facts), v1::MDE_STATE_ONBOARDED);
}

}  // namespace
}  // namespace mdefleet

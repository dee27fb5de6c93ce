#include "runner/host/sim/sim_profile.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet::runner::sim {
namespace {

using ::testing::HasSubstr;

TEST(SimProfile, ParsesOsAndOptions) {
  auto p = ParseSimProfile("ws2016+mma+av+passive+noconn+exit=4+reboot");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->os, v1::OS_FAMILY_WS2016);
  EXPECT_THAT(p->mma_workspaces,
              ::testing::ElementsAre(std::string(kDefaultMmaWorkspace)));
  EXPECT_TRUE(p->third_party_av);
  EXPECT_TRUE(p->passive);
  EXPECT_TRUE(p->no_connectivity);
  EXPECT_EQ(p->forced_install_exit, 4);
  EXPECT_TRUE(p->reboot_pending);
  EXPECT_EQ(FormatSimProfile(*p), "ws2016+mma+av+passive+noconn+exit=4+reboot");
}

TEST(SimProfile, TimeZoneAndIgnoredReboots) {
  auto p = ParseSimProfile("ws2019+noreboot+tz=-5:30");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->reboot_ignored);
  EXPECT_EQ(p->utc_offset_minutes, -330);
  EXPECT_EQ(FormatSimProfile(*p), "ws2019+noreboot+tz=-5:30");
  for (const char* bad : {"ws2019+tz=", "ws2019+tz=15", "ws2019+tz=9:60",
                          "ws2019+tz=0900", "ws2019+tz=x"}) {
    EXPECT_THAT(ParseSimProfile(bad).status().message(),
                HasSubstr("is not a UTC offset"))
        << bad;
  }
}

TEST(SimProfile, MmaWithExplicitWorkspace) {
  auto p = ParseSimProfile("ws2012r2+mma=AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->mma_workspaces,
              ::testing::ElementsAre("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
}

TEST(SimProfile, DefenderOptionsRoundTrip) {
  auto p = ParseSimProfile(
      "ws2022+onboarded+tamper+mapsoff+avoff+"
      "sguid=0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->tamper);
  EXPECT_TRUE(p->maps_off);
  EXPECT_TRUE(p->av_off);
  EXPECT_EQ(p->sense_guid, "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9");
  const std::string spec = FormatSimProfile(*p);
  EXPECT_EQ(spec,
            "ws2022+onboarded+tamper+mapsoff+avoff+"
            "sguid=0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9");
  auto again = ParseSimProfile(spec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(FormatSimProfile(*again), spec);
  EXPECT_THAT(ParseSimProfile("ws2019+sguid=123").status().message(),
              HasSubstr("sguid \"123\" is not a GUID"));
}

TEST(SimProfile, RejectsBadSpecsNamingThePart) {
  EXPECT_THAT(ParseSimProfile("ws2008").status().message(),
              HasSubstr("unknown OS \"ws2008\""));
  EXPECT_THAT(ParseSimProfile("ws2019+foo").status().message(),
              HasSubstr("unknown option \"foo\""));
  EXPECT_THAT(ParseSimProfile("ws2019+mma=nope").status().message(),
              HasSubstr("not a GUID"));
  EXPECT_THAT(ParseSimProfile("ws2019+exit=x").status().message(),
              HasSubstr("exit code"));
  EXPECT_THAT(ParseSimProfile("ws2019+installed").status().message(),
              HasSubstr("ws2012r2/ws2016 only"));
}

TEST(SimProfile, FleetMixIsDeterministic) {
  FleetMember m0 = FleetMemberAt(0);
  EXPECT_EQ(m0.hostname, "SIM-2012R2-0000");
  EXPECT_FALSE(m0.profile.mma_workspaces.empty());  // every 5th, downlevel
  EXPECT_TRUE(m0.profile.third_party_av);           // every 7th
  EXPECT_FALSE(m0.profile.passive);                 // downlevel: -Passive
  FleetMember m1 = FleetMemberAt(1);
  EXPECT_EQ(m1.hostname, "SIM-2016-0001");
  EXPECT_TRUE(m1.profile.mma_workspaces.empty());
  EXPECT_EQ(m1.labels.at("site"), "osaka");
  EXPECT_EQ(m1.labels.at("role"), "db");
  EXPECT_EQ(m1.labels.at("sim"), "yes");
  FleetMember m5 = FleetMemberAt(5);
  EXPECT_EQ(m5.hostname, "SIM-2016-0005");
  EXPECT_FALSE(m5.profile.mma_workspaces.empty());
  FleetMember m10 = FleetMemberAt(10);  // 2019: never MMA
  EXPECT_EQ(m10.profile.os, v1::OS_FAMILY_WS2019);
  EXPECT_TRUE(m10.profile.mma_workspaces.empty());
  FleetMember m7 = FleetMemberAt(7);  // 2022 with AV: passive preset
  EXPECT_EQ(m7.profile.os, v1::OS_FAMILY_WS2022);
  EXPECT_TRUE(m7.profile.third_party_av);
  EXPECT_TRUE(m7.profile.passive);
  EXPECT_EQ(FleetMemberAt(3).hostname, FleetMemberAt(3).hostname);
}

}  // namespace
}  // namespace mdefleet::runner::sim

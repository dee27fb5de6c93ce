#include "runner/facts/fact_collector.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::MakeSim;

v1::DeviceFacts Collect(const std::string& spec, const std::string& root) {
  auto host = MakeSim(spec, root, "SIM-FACTS-0001");
  auto facts = CollectFacts(*host, {{"site", "tokyo"}});
  EXPECT_TRUE(facts.ok()) << facts.status();
  return facts.ok() ? *facts : v1::DeviceFacts();
}

TEST(FactCollector, Plain2016IsNotInstalled) {
  TempDir dir;
  v1::DeviceFacts f = Collect("ws2016", dir.path());
  EXPECT_EQ(f.hostname(), "SIM-FACTS-0001");
  EXPECT_EQ(f.domain(), "corp.contoso.com");
  EXPECT_EQ(f.os_product(), "Windows Server 2016 Standard");
  EXPECT_EQ(f.os_version(), "10.0.14393.6452");
  EXPECT_EQ(f.os_build(), 14393u);
  EXPECT_EQ(f.os_family(), v1::OS_FAMILY_WS2016);
  EXPECT_FALSE(f.sensor_installed());
  EXPECT_EQ(f.sense_state(), v1::SERVICE_STATE_ABSENT);
  EXPECT_EQ(f.onboarding_state(), -1);
  EXPECT_FALSE(f.mma_installed());
  EXPECT_EQ(f.mma_workspaces_size(), 0);
  EXPECT_EQ(f.third_party_av(), "");
  EXPECT_FALSE(f.passive_mode_forced());
  EXPECT_FALSE(f.reboot_pending());
  EXPECT_EQ(f.mde_state(), v1::MDE_STATE_NOT_INSTALLED);
  EXPECT_FALSE(f.host_identity().empty());
  EXPECT_TRUE(f.has_boot_time());
  EXPECT_EQ(f.labels().at("site"), "tokyo");
  EXPECT_EQ(f.runner_version(), RunnerVersion());
  EXPECT_FALSE(f.runner_version().empty());
}

TEST(FactCollector, Downlevel2012R2WithMmaAndAv) {
  TempDir dir;
  v1::DeviceFacts f =
      Collect("ws2012r2+mma+mma=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee+av+reboot",
              dir.path());
  EXPECT_EQ(f.os_family(), v1::OS_FAMILY_WS2012R2);
  EXPECT_EQ(f.os_version(), "6.3.9600.21620");
  EXPECT_TRUE(f.mma_installed());
  EXPECT_THAT(f.mma_workspaces(), ::testing::UnorderedElementsAre(
                                      "11111111-2222-3333-4444-555555555555",
                                      "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
  EXPECT_EQ(f.third_party_av(), "CSFalconService");
  EXPECT_TRUE(f.reboot_pending());
}

TEST(FactCollector, Onboarded2016) {
  TempDir dir;
  v1::DeviceFacts f = Collect("ws2016+onboarded", dir.path());
  EXPECT_TRUE(f.sensor_installed());
  EXPECT_EQ(f.sense_state(), v1::SERVICE_STATE_RUNNING);
  EXPECT_EQ(f.onboarding_state(), 1);
  EXPECT_EQ(f.sense_guid_sha256().size(), 64u);
  EXPECT_EQ(f.mde_state(), v1::MDE_STATE_ONBOARDED);
  // senseId: the Defender machine id api_offboard addresses.
  EXPECT_EQ(f.mde_machine_id().size(), 40u);
  EXPECT_EQ(f.mde_machine_id().find_first_not_of("0123456789abcdef"),
            std::string::npos);
}

TEST(FactCollector, MachineIdIsPerHostAndAbsentBeforeOnboarding) {
  TempDir a, b, c;
  const std::string id_a =
      Collect("ws2019+onboarded", a.path()).mde_machine_id();
  auto other = MakeSim("ws2019+onboarded", b.path(), "SIM-FACTS-0002");
  auto facts = CollectFacts(*other, {});
  ASSERT_TRUE(facts.ok());
  EXPECT_NE(facts->mde_machine_id(), id_a);
  EXPECT_EQ(Collect("ws2019", c.path()).mde_machine_id(), "");
}

TEST(FactCollector, Installed2016NotOnboarded) {
  TempDir dir;
  v1::DeviceFacts f = Collect("ws2016+installed", dir.path());
  EXPECT_TRUE(f.sensor_installed());
  EXPECT_EQ(f.sense_state(), v1::SERVICE_STATE_STOPPED);
  EXPECT_EQ(f.mde_state(), v1::MDE_STATE_NOT_ONBOARDED);
}

TEST(FactCollector, BuiltInSensorOn2019And2022And2025) {
  TempDir dir;
  for (const char* spec : {"ws2019", "ws2022", "ws2025"}) {
    v1::DeviceFacts f = Collect(spec, dir.path() + "/" + spec);
    EXPECT_TRUE(f.sensor_installed()) << spec;
    EXPECT_EQ(f.sense_state(), v1::SERVICE_STATE_STOPPED) << spec;
    EXPECT_EQ(f.onboarding_state(), -1) << spec;
    EXPECT_EQ(f.mde_state(), v1::MDE_STATE_NOT_ONBOARDED) << spec;
  }
  EXPECT_EQ(Collect("ws2025", dir.path() + "/x").os_family(),
            v1::OS_FAMILY_WS2025);
}

TEST(FactCollector, AvWithPassiveOn2022) {
  TempDir dir;
  v1::DeviceFacts f = Collect("ws2022+av+passive", dir.path());
  EXPECT_EQ(f.third_party_av(), "CSFalconService");
  EXPECT_TRUE(f.passive_mode_forced());
  EXPECT_EQ(f.os_family(), v1::OS_FAMILY_WS2022);
}

TEST(FactCollector, HostIdentityDiffersPerMachine) {
  TempDir dir;
  auto a = MakeSim("ws2019", dir.path() + "/a", "HOST-A");
  auto b = MakeSim("ws2019", dir.path() + "/b", "HOST-B");
  EXPECT_NE(CollectFacts(*a, {})->host_identity(),
            CollectFacts(*b, {})->host_identity());
}

}  // namespace
}  // namespace mdefleet::runner

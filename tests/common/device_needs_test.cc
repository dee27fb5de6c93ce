#include "common/device_needs.h"

#include <set>
#include <string>
#include <vector>

#include "common/os_family.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

v1::DeviceFacts Facts(v1::OsFamily family, bool onboarded) {
  v1::DeviceFacts f;
  f.set_os_family(family);
  const bool downlevel = UsesUnifiedAgentInstaller(family);
  f.set_sensor_installed(onboarded || !downlevel);
  f.set_sense_state(onboarded ? v1::SERVICE_STATE_RUNNING
                              : (downlevel ? v1::SERVICE_STATE_ABSENT
                                           : v1::SERVICE_STATE_STOPPED));
  f.set_onboarding_state(onboarded ? 1 : -1);
  f.set_mde_state(DeriveMdeState(f));
  f.set_av_mode(v1::AV_MODE_ACTIVE);
  f.set_cloud_protection(v1::FEATURE_STATE_ON);
  f.set_tamper_protection(v1::FEATURE_STATE_ON);
  if (onboarded)
    f.mutable_cloud_connection()->mutable_checked_at()->set_seconds(1);
  return f;
}

TEST(DeviceNeeds, HealthyOnboardedDeviceNeedsNothing) {
  for (v1::OsFamily family :
       {v1::OS_FAMILY_WS2012R2, v1::OS_FAMILY_WS2016, v1::OS_FAMILY_WS2019,
        v1::OS_FAMILY_WS2022, v1::OS_FAMILY_WS2025}) {
    EXPECT_EQ(FactNeeds(Facts(family, true)), 0u) << family;
  }
}

TEST(DeviceNeeds, DownlevelWithoutAgentNeedsInstallAndOnboard) {
  EXPECT_EQ(FactNeeds(Facts(v1::OS_FAMILY_WS2016, false)),
            kNeedNotInstalled | kNeedNotOnboarded);
  EXPECT_EQ(FactNeeds(Facts(v1::OS_FAMILY_WS2019, false)), kNeedNotOnboarded);
}

TEST(DeviceNeeds, MmaOnDownlevelPointsAtMigrateNotOnboard) {
  v1::DeviceFacts f = Facts(v1::OS_FAMILY_WS2012R2, false);
  f.set_mma_installed(true);
  f.add_mma_workspaces("11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(FactNeeds(f), kNeedNotInstalled | kNeedMmaReporting);
  // On 2019+ onboard is still the job that onboards it.
  v1::DeviceFacts modern = Facts(v1::OS_FAMILY_WS2022, false);
  modern.set_mma_installed(true);
  modern.add_mma_workspaces("11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(FactNeeds(modern), kNeedNotOnboarded | kNeedMmaReporting);
}

// Article 001: only the tenant's MDE workspace is migrated; a server whose
// MMA reports to Log Analytics only is simply not onboarded.
TEST(DeviceNeeds, OnlyTheTenantsMdeWorkspaceIsMmaReporting) {
  v1::DeviceFacts f = Facts(v1::OS_FAMILY_WS2016, false);
  f.set_mma_installed(true);
  f.add_mma_workspaces("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  const std::vector<std::string> mde = {"11111111-2222-3333-4444-555555555555"};
  EXPECT_EQ(FactNeeds(f, mde), kNeedNotInstalled | kNeedNotOnboarded);
  f.add_mma_workspaces("11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(FactNeeds(f, mde), kNeedNotInstalled | kNeedMmaReporting);
}

TEST(DeviceNeeds, DefenderSettingsCountOnlyWhileDefenderRuns) {
  v1::DeviceFacts f = Facts(v1::OS_FAMILY_WS2022, true);
  f.set_cloud_protection(v1::FEATURE_STATE_OFF);
  f.set_tamper_protection(v1::FEATURE_STATE_OFF);
  EXPECT_EQ(FactNeeds(f), kNeedCloudProtectionOff | kNeedTamperProtectionOff);
  f.set_av_mode(v1::AV_MODE_NOT_INSTALLED);
  EXPECT_EQ(FactNeeds(f), 0u);
  // Unknown is not "off": nothing is claimed from facts not read.
  f = Facts(v1::OS_FAMILY_WS2022, true);
  f.set_cloud_protection(v1::FEATURE_STATE_UNKNOWN);
  f.set_tamper_protection(v1::FEATURE_STATE_UNKNOWN);
  EXPECT_EQ(FactNeeds(f), 0u);
}

TEST(DeviceNeeds, ThirdPartyAvWithoutPassiveMode) {
  v1::DeviceFacts f = Facts(v1::OS_FAMILY_WS2019, false);
  f.set_third_party_av("SentinelAgent");
  EXPECT_EQ(FactNeeds(f), kNeedNotOnboarded | kNeedPassiveModeMissing);
  f.set_passive_mode_forced(true);
  EXPECT_EQ(FactNeeds(f), kNeedNotOnboarded);
}

TEST(DeviceNeeds, ProxiesThatDisagree) {
  v1::DeviceFacts f = Facts(v1::OS_FAMILY_WS2022, true);
  f.mutable_proxy()->set_edr_proxy("proxy.corp:8080");
  f.mutable_proxy()->set_av_proxy("http://proxy.corp:8080");
  f.mutable_proxy()->set_winhttp_proxy("proxy.corp:8080");
  EXPECT_EQ(FactNeeds(f), 0u);
  f.mutable_proxy()->set_winhttp_proxy("");
  EXPECT_EQ(FactNeeds(f), kNeedProxyMismatch);
  EXPECT_EQ(*NeedsHelpedBy("configure_proxy", "needs"), kNeedProxyMismatch);
}

TEST(DeviceNeeds, SenseStoppedAndNeverChecked) {
  v1::DeviceFacts f = Facts(v1::OS_FAMILY_WS2019, true);
  f.set_sense_state(v1::SERVICE_STATE_STOPPED);
  f.set_mde_state(DeriveMdeState(f));
  f.clear_cloud_connection();
  EXPECT_EQ(FactNeeds(f), kNeedSenseNotRunning | kNeedHealthUnknown);
}

TEST(DeviceNeeds, TableIsConsistent) {
  std::set<std::string> ids;
  uint32_t bits = 0;
  for (const NeedInfo& n : AllNeeds()) {
    EXPECT_TRUE(ids.insert(std::string(n.id)).second) << n.id;
    EXPECT_EQ(bits & n.bit, 0u) << n.id;
    bits |= n.bit;
    EXPECT_FALSE(n.description.empty());
    EXPECT_FALSE(n.advice.empty());
    if (!n.job_kind.empty()) {
      ASSERT_TRUE(NeedsHelpedBy(n.job_kind, "needs").ok()) << n.job_kind;
    }
    // Every need is also selected by its own id.
    auto by_id = NeedsHelpedBy(n.id, "needs");
    ASSERT_TRUE(by_id.ok()) << n.id;
    EXPECT_NE(*by_id & n.bit, 0u) << n.id;
  }
  EXPECT_EQ(DescribeNeeds(bits).size(), AllNeeds().size());
}

TEST(DeviceNeeds, NeedsHelpedBy) {
  EXPECT_EQ(*NeedsHelpedBy("image_prep", "needs"), kNeedCloned);
  EXPECT_EQ(*NeedsHelpedBy("health_check", "needs"),
            kNeedSenseNotRunning | kNeedCloudProtectionOff |
                kNeedTamperProtectionOff | kNeedHealthUnknown);
  EXPECT_EQ(*NeedsHelpedBy("duplicate_hostname", "needs"),
            kNeedDuplicateHostname);
  EXPECT_EQ(*NeedsHelpedBy("duplicate_identity", "needs"),
            kNeedDuplicateIdentity);
  EXPECT_FALSE(NeedsHelpedBy("", "needs").ok());
  auto bad = NeedsHelpedBy("offboard", "--needs");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::StartsWith("--needs: no device need is met by job "
                                    "kind \"offboard\"; expected one of "
                                    "install, onboard"));
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("or the id of a need: not_installed"));
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("duplicate_identity"));
}

TEST(DeviceNeeds, DuplicateIdentityAdviceNamesTheDevice) {
  const std::string advice = DuplicateIdentityAdvice("dev-1f3a");
  EXPECT_THAT(advice, ::testing::HasSubstr(
                          "mdefleetctl devices reset-identity dev-1f3a"));
  EXPECT_THAT(advice, ::testing::HasSubstr("investigate"));
}

}  // namespace
}  // namespace mdefleet

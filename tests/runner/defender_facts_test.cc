// The Defender facts (runner/facts/defender_facts.h) on simulated servers.
#include "runner/facts/defender_facts.h"

#include "common/mde_constants.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/facts/cloud_connection_record.h"
#include "runner/facts/fact_collector.h"
#include "runner/host/sim/sim_defender.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::MakeSim;

v1::DeviceFacts Facts(const std::string& spec, const TempDir& dir) {
  auto host = MakeSim(spec, dir.path());
  auto facts = CollectFacts(*host, {});
  EXPECT_TRUE(facts.ok()) << facts.status();
  return facts.ok() ? *facts : v1::DeviceFacts();
}

TEST(DefenderFactsTest, FreshServerHasActiveDefenderAndCloudProtection) {
  TempDir dir;
  v1::DeviceFacts f = Facts("ws2019", dir);
  EXPECT_EQ(f.av_mode(), v1::AV_MODE_ACTIVE);
  EXPECT_EQ(f.tamper_protection(), v1::FEATURE_STATE_OFF);
  EXPECT_EQ(f.tamper_protection_source(), "");
  EXPECT_EQ(f.cloud_protection(), v1::FEATURE_STATE_ON);
  EXPECT_EQ(f.org_id(), "");
  EXPECT_FALSE(f.has_cloud_connection());
}

TEST(DefenderFactsTest, OnboardedReportsTheTenant) {
  TempDir dir;
  EXPECT_EQ(Facts("ws2022+onboarded", dir).org_id(), sim::kSimOrgId);
}

TEST(DefenderFactsTest, ProfileOptionsShowInTheFacts) {
  TempDir a, b, c, d, e;
  EXPECT_EQ(Facts("ws2019+tamper", a).tamper_protection(),
            v1::FEATURE_STATE_ON);
  EXPECT_EQ(Facts("ws2019+mapsoff", b).cloud_protection(),
            v1::FEATURE_STATE_OFF);
  EXPECT_EQ(Facts("ws2019+avoff", c).av_mode(), v1::AV_MODE_DISABLED);
  // Passive mode exists only on onboarded devices.
  EXPECT_EQ(Facts("ws2019+av+passive", d).av_mode(), v1::AV_MODE_ACTIVE);
  TempDir f;
  EXPECT_EQ(Facts("ws2019+av+passive+onboarded", f).av_mode(),
            v1::AV_MODE_PASSIVE);
  v1::DeviceFacts none = Facts("ws2012r2", e);
  EXPECT_EQ(none.av_mode(), v1::AV_MODE_NOT_INSTALLED);
  EXPECT_EQ(none.cloud_protection(), v1::FEATURE_STATE_UNKNOWN);
  EXPECT_EQ(none.tamper_protection(), v1::FEATURE_STATE_UNKNOWN);
}

TEST(DefenderFactsTest, TwoDevicesWithOneSenseGuidHashAlike) {
  TempDir a, b, c;
  const std::string guid = "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9";
  v1::DeviceFacts one = Facts("ws2019+onboarded+sguid=" + guid, a);
  v1::DeviceFacts two = Facts("ws2022+sguid=" + guid, b);
  v1::DeviceFacts other = Facts("ws2019+onboarded", c);
  EXPECT_FALSE(one.sense_guid_sha256().empty());
  EXPECT_EQ(one.sense_guid_sha256(), two.sense_guid_sha256());
  EXPECT_NE(one.sense_guid_sha256(), other.sense_guid_sha256());
}

// Defender Antivirus' own answer (Get-MpComputerStatus) is the fact: the
// running mode and the tamper protection source by name.
TEST(DefenderFactsTest, RunningModeAndTamperSourceComeFromDefenderByName) {
  TempDir a, b, c;
  v1::DeviceFacts active = Facts("ws2019+tamper", a);
  EXPECT_EQ(active.am_running_mode(), "Normal");
  EXPECT_EQ(active.av_mode(), v1::AV_MODE_ACTIVE);
  EXPECT_EQ(active.tamper_protection(), v1::FEATURE_STATE_ON);
  EXPECT_EQ(active.tamper_protection_source(), "ATP");
  v1::DeviceFacts passive = Facts("ws2019+av+passive+onboarded", b);
  EXPECT_EQ(passive.am_running_mode(), "Passive Mode");
  EXPECT_EQ(passive.av_mode(), v1::AV_MODE_PASSIVE);
  // Not running: Defender Antivirus gives no answer.
  EXPECT_EQ(Facts("ws2019+avoff", c).am_running_mode(), "");
}

TEST(DefenderFactsTest, RunningModeNamesMapToModes) {
  EXPECT_EQ(AvModeFromRunningMode("Normal"), v1::AV_MODE_ACTIVE);
  EXPECT_EQ(AvModeFromRunningMode("Passive Mode"), v1::AV_MODE_PASSIVE);
  EXPECT_EQ(AvModeFromRunningMode("SxS Passive Mode"), v1::AV_MODE_PASSIVE);
  EXPECT_EQ(AvModeFromRunningMode("EDR Block Mode"), v1::AV_MODE_PASSIVE);
  EXPECT_EQ(AvModeFromRunningMode("Not running"), v1::AV_MODE_DISABLED);
  EXPECT_EQ(AvModeFromRunningMode("something new"), std::nullopt);
}

// Without Defender's answer the registry's number is shown as a number:
// Windows does not document what the numbers mean.
TEST(DefenderFactsTest, WithoutAnAnswerTheRegistryCodeIsShownAsACode) {
  EXPECT_EQ(TamperProtectionSourceName(5), "registry code 5");
  EXPECT_EQ(TamperProtectionSourceName(std::nullopt), "");
}

TEST(DefenderFactsTest, TheLastCloudConnectionCheckIsAFact) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  v1::CloudConnectionCheck check;
  check.mutable_checked_at()->set_seconds(1700000000);
  check.set_error_code("0x80508015");
  check.set_message("off");
  ASSERT_TRUE(SaveCloudConnection(*host, check).ok());
  v1::DeviceFacts f = *CollectFacts(*host, {});
  EXPECT_EQ(f.cloud_connection().error_code(), "0x80508015");
  EXPECT_EQ(f.cloud_connection().checked_at().seconds(), 1700000000);
  // A damaged record is no fact, not a failure of every poll.
  ASSERT_TRUE(host->WriteFile(CloudConnectionRecordPath(*host), "junk").ok());
  auto damaged = CollectFacts(*host, {});
  ASSERT_TRUE(damaged.ok()) << damaged.status();
  EXPECT_FALSE(damaged->has_cloud_connection());
}

}  // namespace
}  // namespace mdefleet::runner

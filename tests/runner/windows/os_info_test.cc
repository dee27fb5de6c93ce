// OS facts, reboots in dry-run mode, and the fact collector over WindowsHost.
// Under Wine the "OS" is Wine's default (Windows 7, build 7601, product
// "Microsoft Windows 7"); the tests check shape and consistency, not a
// release. A real restart (InitiateShutdownW) is never requested here: the
// parameters it would get are checked instead.
#include "runner/host/windows/os_info.h"

#include <windows.h>
// windows.h first: this needs its types.
#include <reason.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/mde_constants.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/facts/fact_collector.h"
#include "runner/host/windows/reboot.h"
#include "runner/host/windows/registry.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

class OsInfoTest : public ::mdefleet::testing::WindowsHostTest {
 protected:
  void Configure(WindowsHostOptions& options) override {
    options.reboot_dry_run = true;
  }
};

TEST_F(OsInfoTest, FactsAreSane) {
  auto info = host_->GetOsInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->product.empty());
  EXPECT_GT(info->build, 0u);
  std::vector<std::string> parts = absl::StrSplit(info->version, '.');
  ASSERT_THAT(parts, SizeIs(4)) << info->version;
  uint32_t major = 0;
  uint32_t build = 0;
  uint32_t revision = 0;
  EXPECT_TRUE(absl::SimpleAtoi(parts[0], &major));
  EXPECT_GE(major, 6u);
  EXPECT_TRUE(absl::SimpleAtoi(parts[2], &build));
  EXPECT_EQ(build, info->build);
  EXPECT_TRUE(absl::SimpleAtoi(parts[3], &revision));
  EXPECT_FALSE(info->hostname.empty());
  EXPECT_LT(info->boot_time, absl::Now());
  EXPECT_GT(info->boot_time, absl::Now() - absl::Hours(24 * 365 * 10));
  auto guid = ReadRegistryValue(mde::kCryptographyKey, mde::kMachineGuidValue);
  ASSERT_TRUE(guid.ok());
  if (guid->has_value()) {
    EXPECT_EQ(info->machine_identity, std::get<std::string>(**guid));
    EXPECT_FALSE(info->machine_identity.empty());
  }
  // The boot time does not wobble between readings.
  auto again = host_->GetOsInfo();
  ASSERT_TRUE(again.ok());
  EXPECT_LE(absl::AbsDuration(again->boot_time - info->boot_time),
            absl::Seconds(1));
}

// The UTC offset is what the clock says: local time minus UTC.
TEST_F(OsInfoTest, UtcOffsetMatchesTheLocalClock) {
  auto info = host_->GetOsInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_GE(info->utc_offset_minutes, -12 * 60);
  EXPECT_LE(info->utc_offset_minutes, 14 * 60);
  SYSTEMTIME utc = {};
  SYSTEMTIME local = {};
  GetSystemTime(&utc);
  GetLocalTime(&local);
  FILETIME utc_ft = {};
  FILETIME local_ft = {};
  ASSERT_TRUE(SystemTimeToFileTime(&utc, &utc_ft));
  ASSERT_TRUE(SystemTimeToFileTime(&local, &local_ft));
  auto ticks = [](const FILETIME& ft) {
    return (static_cast<int64_t>(ft.dwHighDateTime) << 32) |
           static_cast<int64_t>(ft.dwLowDateTime);
  };
  // 100 ns ticks -> minutes, rounded to the nearest quarter hour.
  const int64_t minutes = (ticks(local_ft) - ticks(utc_ft)) / 600000000;
  const int64_t rounded = (minutes + (minutes >= 0 ? 7 : -7)) / 15 * 15;
  EXPECT_EQ(info->utc_offset_minutes, rounded);
}

TEST_F(OsInfoTest, PendingRebootMarkersAreSeen) {
  if (!testing::RunningUnderWine()) {
    GTEST_SKIP() << "writes the real Component Based Servicing key; runs "
                    "under Wine only";
  }
  auto before = host_->GetOsInfo();
  ASSERT_TRUE(before.ok()) << before.status();
  auto exists = RegistryKeyExists(mde::kCbsRebootPendingKey);
  ASSERT_TRUE(exists.ok()) << exists.status();
  ASSERT_FALSE(*exists);
  ASSERT_TRUE(WriteRegistryValue(mde::kCbsRebootPendingKey, "mdefleet-test",
                                 uint32_t{1})
                  .ok());
  auto pending = host_->GetOsInfo();
  EXPECT_TRUE(DeleteRegistryKey(mde::kCbsRebootPendingKey).ok());
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_TRUE(pending->reboot_pending);
  auto after = host_->GetOsInfo();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->reboot_pending, before->reboot_pending);
}

TEST_F(OsInfoTest, CollectFactsOverWindowsHost) {
  // The fact collector the runner reports with, on this machine: no Sense,
  // no OnboardingState, no MMA.
  auto facts = CollectFacts(*host_, {{"site", "test"}});
  ASSERT_TRUE(facts.ok()) << facts.status();
  auto info = host_->GetOsInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(facts->hostname(), info->hostname);
  EXPECT_EQ(facts->os_version(), info->version);
  EXPECT_EQ(facts->os_build(), info->build);
  EXPECT_EQ(facts->sense_state(), v1::SERVICE_STATE_ABSENT);
  EXPECT_FALSE(facts->sensor_installed());
  EXPECT_FALSE(facts->mma_installed());
  if (testing::RunningUnderWine()) {
    EXPECT_EQ(facts->onboarding_state(), -1);
  }
  // Map::at on a missing key aborts the whole test binary: check first.
  ASSERT_TRUE(facts->labels().contains("site"));
  EXPECT_EQ(facts->labels().at("site"), "test");
}

TEST(FileVersion, ReadsVersionResources) {
  EXPECT_FALSE(ReadFileVersion("C:\\no\\such\\file.exe").has_value());
  std::wstring system(MAX_PATH, L'\0');
  system.resize(GetSystemDirectoryW(system.data(), MAX_PATH));
  auto kernel32 = ReadFileVersion(WideToUtf8(system + L"\\kernel32.dll"));
  ASSERT_TRUE(kernel32.has_value());
  EXPECT_GE(kernel32->major, 5);
}

TEST_F(OsInfoTest, DryRunRebootIsRecordedNotPerformed) {
  ASSERT_TRUE(host_
                  ->Reboot("image_prep: restart after removing senseGuid",
                           absl::Seconds(30))
                  .ok());
  ASSERT_TRUE(host_->Reboot("second", absl::ZeroDuration()).ok());
  const std::vector<RecordedReboot> reboots = host_->RecordedReboots();
  ASSERT_THAT(reboots, SizeIs(2));
  EXPECT_EQ(reboots[0].reason, "image_prep: restart after removing senseGuid");
  EXPECT_EQ(reboots[0].delay, absl::Seconds(30));
  EXPECT_LE(reboots[0].requested_at, absl::Now());
  EXPECT_EQ(reboots[1].reason, "second");
}

TEST(Restart, ReasonIsAPlannedMaintenanceRestart) {
  const uint32_t reason = RestartReasonCode();
  EXPECT_TRUE(reason & SHTDN_REASON_FLAG_PLANNED);
  EXPECT_EQ(reason & 0x00FF0000u,
            static_cast<uint32_t>(SHTDN_REASON_MAJOR_APPLICATION));
  EXPECT_EQ(reason & 0xFFFFu,
            static_cast<uint32_t>(SHTDN_REASON_MINOR_MAINTENANCE));
}

TEST(Restart, MessageIsPrefixedAndCutOnACharacter) {
  EXPECT_EQ(RestartMessage("image_prep"), "mdefleet: image_prep");
  std::string long_reason;
  for (int i = 0; i < 300; ++i) long_reason += "再";  // 3 bytes each
  const std::string message = RestartMessage(long_reason);
  EXPECT_LE(message.size(), 512u);
  EXPECT_GT(message.size(), 500u);
  EXPECT_TRUE(IsValidUtf8(message));
}

}  // namespace
}  // namespace mdefleet::runner::win

#include "runner/host/sim/simulated_host.h"

#include <fstream>
#include <sstream>

#include "common/mde_constants.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"
#include "tests/testing/fake_clock.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using ::testing::HasSubstr;
using testing::MakeSim;

TEST(SimulatedHost, RegistryIsCaseInsensitiveAndTellsAbsentApart) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  ASSERT_NE(host, nullptr);
  auto absent = host->ReadValue("SOFTWARE\\Policies\\Microsoft\\X", "Y");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  ASSERT_TRUE(host->WriteValue("SOFTWARE\\Policies\\Microsoft\\X", "Y",
                               RegistryData{uint32_t{7}})
                  .ok());
  auto v = host->ReadValue("software\\policies\\MICROSOFT\\x", "y");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(std::get<uint32_t>(**v), 7u);
  ASSERT_TRUE(host->WriteValue("SOFTWARE\\Policies\\Microsoft\\X\\Sub", "S",
                               RegistryData{std::string("text")})
                  .ok());
  auto subkeys = host->ListSubkeys("SOFTWARE\\Policies\\Microsoft\\x");
  ASSERT_TRUE(subkeys.ok());
  EXPECT_THAT(*subkeys, ::testing::ElementsAre("Sub"));
  ASSERT_TRUE(host->DeleteValue("SOFTWARE\\Policies\\Microsoft\\X", "y").ok());
  EXPECT_FALSE(
      host->ReadValue("SOFTWARE\\Policies\\Microsoft\\X", "Y")->has_value());
  ASSERT_TRUE(host->DeleteKey("SOFTWARE\\Policies\\Microsoft\\X").ok());
  EXPECT_FALSE(*host->KeyExists("SOFTWARE\\Policies\\Microsoft\\X\\Sub"));
  EXPECT_FALSE(host->ReadValue("", "x").ok());  // malformed key is an error
  EXPECT_FALSE(host->ReadValue("A\\\\B", "x").ok());
}

TEST(SimulatedHost, ServicesPerProfile) {
  TempDir dir;
  auto h2016 = MakeSim("ws2016", dir.path() + "/a");
  EXPECT_EQ(*h2016->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
  EXPECT_EQ(*h2016->QueryService("WinDefend"), v1::SERVICE_STATE_RUNNING);
  auto h2012 = MakeSim("ws2012r2+mma+av", dir.path() + "/b");
  EXPECT_EQ(*h2012->QueryService("WinDefend"), v1::SERVICE_STATE_ABSENT);
  EXPECT_EQ(*h2012->QueryService("HealthService"), v1::SERVICE_STATE_RUNNING);
  EXPECT_EQ(*h2012->QueryService("CSFalconService"), v1::SERVICE_STATE_RUNNING);
  auto h2019 = MakeSim("ws2019", dir.path() + "/c");
  EXPECT_EQ(*h2019->QueryService("sense"), v1::SERVICE_STATE_STOPPED);
  auto wait = h2019->WaitServiceState("Sense", v1::SERVICE_STATE_RUNNING,
                                      absl::Seconds(1));
  EXPECT_TRUE(absl::IsDeadlineExceeded(wait.status()));
  EXPECT_THAT(wait.status().message(), HasSubstr("STOPPED, not RUNNING"));
  auto onboarded = MakeSim("ws2022+onboarded", dir.path() + "/d");
  EXPECT_EQ(*onboarded->WaitServiceState("Sense", v1::SERVICE_STATE_RUNNING,
                                         absl::Seconds(1)),
            v1::SERVICE_STATE_RUNNING);
}

TEST(SimulatedHost, FilesMapToARealDirectory) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  ASSERT_TRUE(
      host->CreateDirectories("C:\\ProgramData\\mdefleet\\work\\t1").ok());
  ASSERT_TRUE(
      host->WriteFile("C:\\ProgramData\\mdefleet\\work\\t1\\a.cmd", "hello")
          .ok());
  std::ifstream in(dir.path() + "/C/ProgramData/mdefleet/work/t1/a.cmd");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "hello");
  EXPECT_EQ(*host->ReadFile("C:/ProgramData/mdefleet/work/t1/a.cmd"), "hello");
  EXPECT_TRUE(*host->FileExists("C:\\ProgramData\\mdefleet\\work\\t1\\a.cmd"));
  EXPECT_TRUE(absl::IsNotFound(host->ReadFile("C:\\nope.txt").status()));
  EXPECT_FALSE(host->WriteFile("relative\\x", "x").ok());
  EXPECT_FALSE(host->ReadFile("C:\\ProgramData\\..\\..\\etc\\passwd").ok());
  ASSERT_TRUE(host->DeleteDirectoryContents("C:\\ProgramData\\mdefleet").ok());
  EXPECT_TRUE(*host->FileExists("C:\\ProgramData\\mdefleet"));
  EXPECT_FALSE(*host->FileExists("C:\\ProgramData\\mdefleet\\work"));
  ASSERT_TRUE(host->DeletePath("C:\\ProgramData\\mdefleet").ok());
  EXPECT_FALSE(*host->FileExists("C:\\ProgramData\\mdefleet"));
  EXPECT_TRUE(host->DeletePath("C:\\ProgramData\\mdefleet").ok());  // absent
}

TEST(SimulatedHost, OsInfoPerRelease) {
  TempDir dir;
  struct Case {
    const char* spec;
    const char* version;
    uint32_t build;
  } cases[] = {{"ws2012r2", "6.3.9600.21620", 9600},
               {"ws2016", "10.0.14393.6452", 14393},
               {"ws2019", "10.0.17763.5122", 17763},
               {"ws2022", "10.0.20348.2113", 20348},
               {"ws2025", "10.0.26100.2033", 26100}};
  for (const auto& c : cases) {
    auto host = MakeSim(c.spec, dir.path() + "/" + c.spec, "SIM-X");
    auto os = host->GetOsInfo();
    ASSERT_TRUE(os.ok()) << os.status();
    EXPECT_EQ(os->version, c.version) << c.spec;
    EXPECT_EQ(os->build, c.build);
    EXPECT_EQ(os->hostname, "SIM-X");
    EXPECT_FALSE(os->machine_identity.empty());
    EXPECT_FALSE(os->reboot_pending);
  }
}

TEST(SimulatedHost, NoConnectivityFailsCheckUrlClearly) {
  TempDir dir;
  auto ok = MakeSim("ws2019", dir.path() + "/a");
  EXPECT_TRUE(
      ok->CheckUrl("https://winatp-gw-cus.microsoft.com/test", "").ok());
  EXPECT_FALSE(ok->CheckUrl("http://plain.example", "").ok());
  auto noconn = MakeSim("ws2019+noconn", dir.path() + "/b");
  absl::Status s =
      noconn->CheckUrl("https://winatp-gw-cus.microsoft.com/test", "");
  EXPECT_TRUE(absl::IsUnavailable(s));
  EXPECT_THAT(s.message(), HasSubstr("winatp-gw-cus.microsoft.com"));
  EXPECT_THAT(s.message(), HasSubstr("no internet connectivity"));
}

TEST(SimulatedHost, RebootRecordsClearsPendingAndBumpsBootTime) {
  TempDir dir;
  auto host = MakeSim("ws2016+reboot", dir.path());
  auto before = host->GetOsInfo();
  EXPECT_TRUE(before->reboot_pending);
  ASSERT_TRUE(host->Reboot("mdefleet image_prep", absl::Seconds(30)).ok());
  auto after = host->GetOsInfo();
  EXPECT_FALSE(after->reboot_pending);
  EXPECT_GT(after->boot_time, before->boot_time);
  ASSERT_EQ(host->Reboots().size(), 1u);
  EXPECT_EQ(host->Reboots()[0].reason, "mdefleet image_prep");
}

TEST(SimulatedHost, ProtectedSecretIsNotClearAndRoundTrips) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path() + "/a");
  const std::string token = "mdf_dev_AAAAsecretBBBB";
  auto sealed = host->ProtectSecret(token);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("secret"), std::string::npos);
  EXPECT_EQ(*host->UnprotectSecret(*sealed), token);
  std::string tampered = *sealed;
  tampered[tampered.size() - 1] ^= 1;
  EXPECT_TRUE(absl::IsDataLoss(host->UnprotectSecret(tampered).status()));
  auto other = MakeSim("ws2019", dir.path() + "/b", "OTHER-HOST");
  EXPECT_FALSE(other->UnprotectSecret(*sealed).ok());  // another machine
}

TEST(SimulatedHost, MachineSurvivesARestart) {
  TempDir dir;
  {
    auto host = MakeSim("ws2019", dir.path());
    ASSERT_TRUE(host->WriteValue("SOFTWARE\\Policies\\Microsoft\\K", "V",
                                 RegistryData{uint32_t{1}})
                    .ok());
    host->SetServiceState("Sense", v1::SERVICE_STATE_RUNNING);
  }
  // The same root with a different profile: the saved machine wins.
  auto again = MakeSim("ws2016", dir.path());
  EXPECT_EQ(again->profile().os, v1::OS_FAMILY_WS2019);
  EXPECT_TRUE(
      again->ReadValue("SOFTWARE\\Policies\\Microsoft\\K", "V")->has_value());
  EXPECT_EQ(*again->QueryService("Sense"), v1::SERVICE_STATE_RUNNING);
}

// Services take time to start: Sense stays START_PENDING after an
// onboarded machine restarts until its start time has passed, across a
// runner restart too, and WaitServiceState waits for it.
TEST(SimulatedHost, SenseTakesTimeToStart) {
  TempDir dir;
  ::mdefleet::testing::FakeClock clock(absl::FromUnixSeconds(1700000000));
  {
    auto host = MakeSim("ws2019+onboarded+sensestart=30", dir.path(),
                        "SIM-TEST-0001", &clock);
    ASSERT_TRUE(host->Reboot("test", absl::ZeroDuration()).ok());
    EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_START_PENDING);
    // A wait shorter than the start: not running yet, and says why.
    clock.Advance(absl::Seconds(29) + absl::Milliseconds(900));
    auto short_wait = host->WaitServiceState("Sense", v1::SERVICE_STATE_RUNNING,
                                             absl::Milliseconds(10));
    EXPECT_TRUE(absl::IsDeadlineExceeded(short_wait.status()));
    EXPECT_THAT(short_wait.status().message(),
                HasSubstr("is START_PENDING, not RUNNING"));
  }
  auto again = MakeSim("ws2019", dir.path(), "SIM-TEST-0001", &clock);
  EXPECT_EQ(*again->QueryService("Sense"), v1::SERVICE_STATE_START_PENDING);
  // The remaining 100 ms are waited for.
  auto wait = again->WaitServiceState("Sense", v1::SERVICE_STATE_RUNNING,
                                      absl::Seconds(120));
  ASSERT_TRUE(wait.ok()) << wait.status();
  EXPECT_EQ(*wait, v1::SERVICE_STATE_RUNNING);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(*again->QueryService("Sense"), v1::SERVICE_STATE_RUNNING);
}

TEST(SimulatedHost, UnknownProgramIsNotFound) {
  TempDir dir;
  auto host = MakeSim("ws2019", dir.path());
  auto r =
      host->RunProcess(testing::Req("C:\\Windows\\System32\\calc.exe", {}));
  EXPECT_TRUE(absl::IsNotFound(r.status()));
}

}  // namespace
}  // namespace mdefleet::runner

// The simulated programs: cmd.exe running the onboarding/offboarding scripts
// and Install.ps1 with each documented exit code path.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using ::testing::HasSubstr;
using testing::kCmd;
using testing::kPowerShell;
using testing::MakeSim;

constexpr char kDir[] = "C:\\ProgramData\\mdefleet\\work\\t1";
constexpr char kWs[] = "11111111-2222-3333-4444-555555555555";

std::string P(absl::string_view name) { return absl::StrCat(kDir, "\\", name); }

// A simulated server with Install.ps1, md4ws.msi and both scripts in kDir.
class Programs : public ::testing::Test {
 protected:
  std::unique_ptr<sim::SimulatedHost> Host(const std::string& spec,
                                           bool with_msi = true) {
    auto host = MakeSim(spec, dir_.path() + "/" + std::to_string(n_++));
    EXPECT_TRUE(host->CreateDirectories(kDir).ok());
    EXPECT_TRUE(
        host->WriteFile(P("Install.ps1"), testing::InstallPs1Content()).ok());
    if (with_msi) {
      EXPECT_TRUE(host->WriteFile(P("md4ws.msi"), testing::MsiContent()).ok());
    }
    EXPECT_TRUE(
        host->WriteFile(P("onboard.cmd"), testing::OnboardingScriptContent())
            .ok());
    EXPECT_TRUE(
        host->WriteFile(P("offboard.cmd"), testing::OffboardingScriptContent())
            .ok());
    // The "Local Script" package: it ends waiting for a key press.
    EXPECT_TRUE(host->WriteFile(P("interactive.cmd"),
                                absl::StrCat(testing::OnboardingScriptContent(),
                                             "\r\npause\r\n"))
                    .ok());
    return host;
  }
  static ProcessResult Install(sim::SimulatedHost& host,
                               std::vector<std::string> switches) {
    std::vector<std::string> args = {
        "-NoProfile",   "-NonInteractive", "-ExecutionPolicy",
        "RemoteSigned", "-File",           P("Install.ps1")};
    args.insert(args.end(), switches.begin(), switches.end());
    auto r = host.RunProcess(testing::Req(kPowerShell, args));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ProcessResult{-999, "", "", false};
  }
  static ProcessResult Cmd(sim::SimulatedHost& host,
                           const std::string& script) {
    auto r = host.RunProcess(testing::Req(kCmd, {"/c", script}));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ProcessResult{-999, "", "", false};
  }
  static std::optional<uint32_t> OnboardingState(sim::SimulatedHost& host) {
    auto v = host.ReadValue(mde::kAtpStatusKey, mde::kOnboardingStateValue);
    if (!v.ok() || !v->has_value()) return std::nullopt;
    return std::get<uint32_t>(**v);
  }

  TempDir dir_;
  int n_ = 0;
};

TEST_F(Programs, OnboardingScriptOnboards2019) {
  auto host = Host("ws2019");
  ProcessResult r = Cmd(*host, P("onboard.cmd"));
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("Successfully onboarded"));
  EXPECT_EQ(OnboardingState(*host), 1u);
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_RUNNING);
  EXPECT_TRUE(host->ReadValue(mde::kAtpKey, mde::kSenseGuidValue)->has_value());
  EXPECT_TRUE(host->ReadValue(mde::kAtpPolicyKey, mde::kOnboardingInfoValue)
                  ->has_value());
  EXPECT_EQ(host->ExecutionCount(kCmd, {"/c", P("onboard.cmd")}), 1);
}

TEST_F(Programs, OnboardingScriptFailsWithoutSense) {
  auto host = Host("ws2016");
  ProcessResult r = Cmd(*host, P("onboard.cmd"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.stderr_text, HasSubstr("Sense"));
  EXPECT_FALSE(OnboardingState(*host).has_value());
}

TEST_F(Programs, OffboardingScriptOffboards) {
  auto host = Host("ws2022+onboarded");
  ProcessResult r = Cmd(*host, P("offboard.cmd"));
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(OnboardingState(*host), 0u);
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_STOPPED);
}

TEST_F(Programs, MissingOrUnknownScript) {
  auto host = Host("ws2019");
  ProcessResult missing = Cmd(*host, P("nope.cmd"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.stderr_text,
              HasSubstr("The system cannot find the file specified."));
  ASSERT_TRUE(host->WriteFile(P("other.cmd"), "echo hi").ok());
  EXPECT_NE(Cmd(*host, P("other.cmd")).exit_code, 0);
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_STOPPED);
}

TEST_F(Programs, InstallPs1InstallsAndOnboards2016) {
  auto host = Host("ws2016");
  ProcessResult r = Install(*host, {"-OnboardingScript", P("onboard.cmd")});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_RUNNING);
  EXPECT_EQ(OnboardingState(*host), 1u);
}

TEST_F(Programs, InstallPs1InstallOnlyLeavesSenseStopped) {
  auto host = Host("ws2012r2");
  ProcessResult r = Install(*host, {});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_STOPPED);
  EXPECT_EQ(*host->QueryService("WinDefend"), v1::SERVICE_STATE_RUNNING);
  EXPECT_FALSE(OnboardingState(*host).has_value());
}

TEST_F(Programs, InstallPs1PassiveSetsForcePassiveMode) {
  auto host = Host("ws2016+av");
  EXPECT_EQ(Install(*host, {"-Passive"}).exit_code, 0);
  auto v = host->ReadValue(mde::kAtpPolicyKey, mde::kForcePassiveModeValue);
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(std::get<uint32_t>(**v), 1u);
}

TEST_F(Programs, InstallPs1RemoveMma) {
  auto host = Host("ws2016+mma+mma=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  const std::string key =
      absl::StrCat(mde::kMmaManagementGroupsKey, "\\AOI-", kWs);
  EXPECT_EQ(
      Install(*host, {"-RemoveMMA", kWs, "-OnboardingScript", P("onboard.cmd")})
          .exit_code,
      0);
  EXPECT_FALSE(*host->KeyExists(key));
  // Another workspace is left: MMA stays.
  EXPECT_EQ(*host->QueryService("HealthService"), v1::SERVICE_STATE_RUNNING);
  EXPECT_EQ(OnboardingState(*host), 1u);
  // The last workspace (in capitals, as a [guid] takes it): the
  // agent is stopped, not uninstalled (upstream: Stop-Service HealthService).
  // Upstream removes the workspace first thing, so it is gone even though
  // the run then stops at "all MSI operations while offboarded" (35).
  ProcessResult last =
      Install(*host, {"-RemoveMMA", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"});
  EXPECT_EQ(last.exit_code, 35) << last.stdout_text << last.stderr_text;
  EXPECT_EQ(*host->QueryService("HealthService"), v1::SERVICE_STATE_STOPPED);
}

// Upstream: a workspace the agent does not report to is "Invalid workspace
// id", ERR_INVALID_PARAMETER, before anything is installed.
TEST_F(Programs, InstallPs1RemoveMmaOfAnotherWorkspaceFails) {
  auto host = Host("ws2016+mma=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  ProcessResult r = Install(
      *host, {"-RemoveMMA", kWs, "-OnboardingScript", P("onboard.cmd")});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_THAT(r.stderr_text + r.stdout_text,
              HasSubstr(absl::StrCat("Invalid workspace id ", kWs)));
  EXPECT_EQ(*host->QueryService("HealthService"), v1::SERVICE_STATE_RUNNING);
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
}

TEST_F(Programs, InstallPs1UninstallOffboardsAndRemovesSense) {
  auto host = Host("ws2016+onboarded");
  ProcessResult r =
      Install(*host, {"-Uninstall", "-OffboardingScript", P("offboard.cmd")});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
  EXPECT_EQ(OnboardingState(*host), 0u);
  // Again: upstream's ERR_MDE_NOT_INSTALLED.
  EXPECT_EQ(Install(*host, {"-Uninstall"}).exit_code, 20);
  // With the offboarding script, upstream first finds Sense not onboarded.
  EXPECT_EQ(
      Install(*host, {"-Uninstall", "-OffboardingScript", P("offboard.cmd")})
          .exit_code,
      34);
}

// Uninstalling needs no md4ws.msi: upstream looks for it only to install.
TEST_F(Programs, InstallPs1UninstallNeedsNoMsi) {
  auto host = Host("ws2016+installed", /*with_msi=*/false);
  ProcessResult r = Install(*host, {"-Uninstall"});
  EXPECT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
}

// Tamper protection is checked after the offboarding script: the device is
// offboarded and md4ws stays (upstream ERR_TAMPER_PROTECTED).
TEST_F(Programs, InstallPs1TamperProtectedOffboardsThenStops) {
  auto host = Host("ws2016+onboarded+tamper");
  ProcessResult r =
      Install(*host, {"-Uninstall", "-OffboardingScript", P("offboard.cmd")});
  EXPECT_EQ(r.exit_code, 38) << r.stdout_text << r.stderr_text;
  EXPECT_THAT(r.stderr_text, HasSubstr("Tamper protection is still enabled"));
  EXPECT_EQ(OnboardingState(*host), 0u);
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_STOPPED);
}

// Upstream only warns when the onboarding script fails: Install.ps1 exits 0
// and the device is installed but not onboarded.
TEST_F(Programs, InstallPs1ExitsZeroWhenTheOnboardingScriptFails) {
  auto host = Host("ws2016+sensefail");
  ProcessResult r = Install(*host, {"-OnboardingScript", P("onboard.cmd")});
  EXPECT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("Onboarding script returned"));
  EXPECT_NE(OnboardingState(*host), 1u);
  EXPECT_NE(*host->QueryService("Sense"), v1::SERVICE_STATE_RUNNING);
}

// msiexec's code is Install.ps1's: 1603 leaves an MSI log beside it that
// ends in "Return value 3"; it fails every time.
TEST_F(Programs, InstallPs1PassesMsiexecFailureOnWithItsLog) {
  auto host = Host("ws2016+msi=1603");
  for (int run = 0; run < 2; ++run) {
    ProcessResult r = Install(*host, {"-OnboardingScript", P("onboard.cmd")});
    EXPECT_EQ(r.exit_code, 1603) << r.stdout_text << r.stderr_text;
  }
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
  auto log = host->ReadFile(P("install-SIM-TEST-0001.log"));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_THAT(*log, HasSubstr("Return value 3"));
  EXPECT_TRUE(*host->FileExists(P("install-SIM-TEST-0001.prev.log")));
}

// 1618 (another installation in progress) happens once: a retry works.
TEST_F(Programs, InstallPs1AnotherInstallationOnlyOnce) {
  auto host = Host("ws2016+msi=1618");
  EXPECT_EQ(Install(*host, {}).exit_code, 1618);
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
  EXPECT_EQ(Install(*host, {}).exit_code, 0);
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_STOPPED);
}

// 3010: md4ws is installed, a restart is pending, and Install.ps1 ends
// before the onboarding script (it exits right after msiexec).
TEST_F(Programs, InstallPs1SuccessRebootRequiredStopsBeforeOnboarding) {
  auto host = Host("ws2016+msi=3010");
  ProcessResult r = Install(*host, {"-OnboardingScript", P("onboard.cmd")});
  EXPECT_EQ(r.exit_code, 3010) << r.stdout_text << r.stderr_text;
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_STOPPED);
  EXPECT_NE(OnboardingState(*host), 1u);
  // Until the restart, Install.ps1 says so (12).
  EXPECT_EQ(Install(*host, {"-OnboardingScript", P("onboard.cmd")}).exit_code,
            12);
}

struct ExitCase {
  const char* name;
  const char* spec;
  bool with_msi;
  std::vector<std::string> switches;
  int exit_code;
};

class InstallPs1ExitCodes : public Programs,
                            public ::testing::WithParamInterface<ExitCase> {};

TEST_P(InstallPs1ExitCodes, DocumentedExitCode) {
  const ExitCase& c = GetParam();
  auto host = Host(c.spec, c.with_msi);
  std::vector<std::string> switches;
  for (const auto& s : c.switches) {
    switches.push_back(absl::StartsWith(s, "-") || s == kWs ? s : P(s));
  }
  ProcessResult r = Install(*host, switches);
  EXPECT_EQ(r.exit_code, c.exit_code) << r.stdout_text << r.stderr_text;
  if (c.exit_code != 0) {
    EXPECT_FALSE(r.stderr_text.empty());
    const bool fresh_downlevel = (absl::StartsWith(c.spec, "ws2012r2") ||
                                  absl::StartsWith(c.spec, "ws2016")) &&
                                 !absl::StrContains(c.spec, "installed") &&
                                 !absl::StrContains(c.spec, "onboarded");
    // A failed run installs nothing.
    if (fresh_downlevel) {
      EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Paths, InstallPs1ExitCodes,
    ::testing::Values(
        ExitCase{"forced3", "ws2016+exit=3", true, {}, 3},
        ExitCase{"forced4", "ws2016+exit=4", true, {}, 4},
        ExitCase{"unsupported2019", "ws2019", true, {}, 10},
        ExitCase{"unsupported2025", "ws2025", true, {}, 10},
        ExitCase{"msiMissing", "ws2016", false, {}, 16},
        ExitCase{"pendingReboot", "ws2016+reboot", true, {}, 12},
        ExitCase{"onboardingMissing",
                 "ws2016",
                 true,
                 {"-OnboardingScript", "missing.cmd"},
                 30},
        ExitCase{"onboardingWrong",
                 "ws2016",
                 true,
                 {"-OnboardingScript", "offboard.cmd"},
                 6},
        ExitCase{"onboardingInteractive",
                 "ws2016",
                 true,
                 {"-OnboardingScript", "interactive.cmd"},
                 37},
        ExitCase{"offboardingMissing",
                 "ws2016+onboarded",
                 true,
                 {"-Uninstall", "-OffboardingScript", "missing.cmd"},
                 32},
        ExitCase{"offboardingWrong",
                 "ws2016+onboarded",
                 true,
                 {"-Uninstall", "-OffboardingScript", "onboard.cmd"},
                 6},
        ExitCase{"notInstalled", "ws2012r2", true, {"-Uninstall"}, 20},
        ExitCase{"installedNotOnboarded",
                 "ws2016+installed",
                 true,
                 {"-Uninstall", "-OffboardingScript", "offboard.cmd"},
                 34},
        ExitCase{"onboardedReinstall",
                 "ws2016+onboarded",
                 true,
                 {"-OnboardingScript", "onboard.cmd"},
                 35},
        ExitCase{"tamperUninstall",
                 "ws2016+installed+tamper",
                 true,
                 {"-Uninstall"},
                 38},
        ExitCase{"avPolicyOff2012r2", "ws2012r2+avgpoff", true, {}, 39},
        ExitCase{"avPolicyOff2016", "ws2016+avgpoff", true, {}, 39},
        ExitCase{"msiFatal", "ws2012r2+msi=1603", true, {}, 1603},
        ExitCase{"noConnectivity",
                 "ws2016+noconn",
                 true,
                 {"-OnboardingScript", "onboard.cmd"},
                 4},
        ExitCase{"badGuid", "ws2016+mma", true, {"-RemoveMMA", "-Passive"}, 6},
        ExitCase{"unknownSwitch", "ws2016", true, {"-Frobnicate"}, 6},
        ExitCase{"installedOk", "ws2016+installed", true, {}, 0}),
    [](const auto& info) { return std::string(info.param.name); });

// Upstream removes the MMA workspace before anything that needs the
// network: without connectivity the server stops reporting to the
// workspace and is not onboarded either. This is why onboard and
// migrate_mma check connectivity before running Install.ps1.
TEST_F(Programs, NoConnectivityFailsAfterRemovingTheWorkspace) {
  auto host = Host("ws2016+noconn+mma");
  ProcessResult r = Install(
      *host, {"-RemoveMMA", kWs, "-OnboardingScript", P("onboard.cmd")});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.stderr_text, HasSubstr("no internet connectivity"));
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
  EXPECT_FALSE(*host->KeyExists(
      absl::StrCat(mde::kMmaManagementGroupsKey, "\\AOI-", kWs)));
}

TEST_F(Programs, MissingScriptFileForPowerShell) {
  auto host = Host("ws2016");
  auto r = host->RunProcess(
      testing::Req(kPowerShell, {"-NoProfile", "-File", P("Nope.ps1")}));
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0);
  EXPECT_THAT(r->stderr_text, HasSubstr("does not exist"));
}

TEST_F(Programs, ExecutionsAreCountedPerCommandLine) {
  auto host = Host("ws2016");
  Install(*host, {});
  Install(*host, {});
  Install(*host, {"-Passive"});
  std::vector<std::string> plain = {
      "-NoProfile",   "-NonInteractive", "-ExecutionPolicy",
      "RemoteSigned", "-File",           P("Install.ps1")};
  EXPECT_EQ(host->ExecutionCount(kPowerShell, plain), 2);
  // Each Install.ps1 ran msiexec once (upstream runs msiexec /i whether or
  // not md4ws is installed).
  EXPECT_EQ(host->ExecutionCount("msiexec.exe", {}), 3);
  EXPECT_EQ(host->TotalExecutions(), 6);
}

TEST_F(Programs, TimeoutKillsASlowProgram) {
  TempDir dir;
  auto profile = sim::ParseSimProfile("ws2016");
  sim::SimulatedHostOptions o;
  o.root_dir = dir.path();
  o.profile = *profile;
  o.hostname = "SLOW";
  o.installer_delay = absl::Milliseconds(200);
  o.jitter = 0;
  auto host = *sim::SimulatedHost::Create(std::move(o));
  ASSERT_TRUE(host->CreateDirectories(kDir).ok());
  ASSERT_TRUE(host->WriteFile(P("Install.ps1"), "x").ok());
  auto r = host->RunProcess(testing::Req(
      kPowerShell, {"-File", P("Install.ps1")}, absl::Milliseconds(20)));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(*host->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
}

}  // namespace
}  // namespace mdefleet::runner

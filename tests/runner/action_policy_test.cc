#include "runner/executor/action_policy.h"

#include <string>

#include "common/artifact_validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::kWork;

TEST(ActionPolicy, ProgramsMapToFixedPaths) {
  EXPECT_EQ(*ProgramPath(v1::PROGRAM_POWERSHELL),
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.exe");
  EXPECT_EQ(*ProgramPath(v1::PROGRAM_CMD_SCRIPT),
            "C:\\Windows\\System32\\cmd.exe");
  EXPECT_FALSE(ProgramPath(v1::PROGRAM_UNSPECIFIED).ok());
  EXPECT_THAT(ProgramPath(static_cast<v1::Program>(99)).status().message(),
              HasSubstr("allow-list"));
}

TEST(ActionPolicy, PowerShellCommandLine) {
  v1::RunProcessAction a;
  a.set_program(v1::PROGRAM_POWERSHELL);
  a.add_args("${work_dir}\\Install.ps1");
  a.add_args("-OnboardingScript");
  a.add_args("${work_dir}\\WindowsDefenderATPOnboardingScript.cmd");
  auto req = BuildProcessRequest(a, kWork);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_THAT(req->args,
              ElementsAre("-NoProfile", "-NonInteractive", "-ExecutionPolicy",
                          "RemoteSigned", "-File",
                          "C:\\ProgramData\\mdefleet\\work\\t1\\Install.ps1",
                          "-OnboardingScript",
                          "C:\\ProgramData\\mdefleet\\work\\t1\\"
                          "WindowsDefenderATPOnboardingScript.cmd"));
  EXPECT_EQ(req->working_directory, kWork);
}

TEST(ActionPolicy, ScriptsMustComeFromTheWorkDir) {
  v1::RunProcessAction a;
  a.set_program(v1::PROGRAM_CMD_SCRIPT);
  a.add_args("\\\\evil\\share\\x.cmd");
  EXPECT_TRUE(absl::IsPermissionDenied(BuildProcessRequest(a, kWork).status()));
  a.set_args(0, "${work_dir}\\..\\..\\x.cmd");
  EXPECT_TRUE(absl::IsPermissionDenied(BuildProcessRequest(a, kWork).status()));
  a.set_args(0, "${work_dir}\\onboard.cmd");
  auto ok = BuildProcessRequest(a, kWork);
  ASSERT_TRUE(ok.ok());
  EXPECT_THAT(ok->args,
              ElementsAre("/c", std::string(kWork) + "\\onboard.cmd"));
}

// MDEClientAnalyzer.cmd -r: a script from the work dir and single-letter
// switches, nothing else after it.
TEST(ActionPolicy, CmdTakesOnlySingleLetterSwitchesAfterTheScript) {
  v1::RunProcessAction a;
  a.set_program(v1::PROGRAM_CMD_SCRIPT);
  a.add_args("${work_dir}\\MDEClientAnalyzer\\MDEClientAnalyzer.cmd");
  a.add_args("-r");
  auto ok = BuildProcessRequest(a, kWork);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_THAT(ok->args,
              ElementsAre("/c",
                          std::string(kWork) +
                              "\\MDEClientAnalyzer\\MDEClientAnalyzer.cmd",
                          "-r"));
  for (const char* bad : {"& calc.exe", "-rr", "/r", "-", "-1"}) {
    a.set_args(1, bad);
    EXPECT_TRUE(absl::IsInvalidArgument(BuildProcessRequest(a, kWork).status()))
        << bad;
  }
}

TEST(ActionPolicy, ExtractAndBundlePaths) {
  EXPECT_TRUE(CheckWorkDirPath(std::string(kWork) + "\\a.zip", kWork).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(CheckWorkDirPath(kWork, kWork)));
  EXPECT_TRUE(absl::IsPermissionDenied(
      CheckWorkDirPath("C:\\Windows\\System32", kWork)));
  EXPECT_TRUE(
      CheckBundlePath("C:\\ProgramData\\Microsoft\\Windows Defender Advanced "
                      "Threat Protection\\Downloads\\MDECA\\x.zip",
                      kWork)
          .ok());
  EXPECT_TRUE(absl::IsPermissionDenied(
      CheckBundlePath("C:\\Windows\\System32\\config\\SAM", kWork)));
}

TEST(ActionPolicy, RegistryRoots) {
  EXPECT_TRUE(CheckRegistryKeyAllowed(
                  "SOFTWARE\\Policies\\Microsoft\\Windows Advanced Threat "
                  "Protection")
                  .ok());
  EXPECT_TRUE(CheckRegistryKeyAllowed(
                  "software\\microsoft\\windows advanced threat protection\\"
                  "Status")
                  .ok());
  EXPECT_TRUE(CheckRegistryKeyAllowed(
                  "SYSTEM\\CurrentControlSet\\Services\\HealthService\\"
                  "Parameters\\Management Groups\\AOI-x")
                  .ok());
  for (const char* bad :
       {"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
        "SOFTWARE\\Policies\\Microsoft", "SOFTWARE\\Policies\\MicrosoftX\\a",
        "SOFTWARE\\Microsoft\\Windows Advanced Threat ProtectionX",
        "SYSTEM\\CurrentControlSet\\Services\\HealthServiceX",
        "HKLM\\SOFTWARE\\Policies\\Microsoft\\X", "",
        "SOFTWARE\\Policies\\Microsoft\\\\X"}) {
    absl::Status s = CheckRegistryKeyAllowed(bad);
    EXPECT_TRUE(absl::IsPermissionDenied(s)) << bad;
    EXPECT_THAT(s.message(), HasSubstr("outside the runner's allowed roots"));
  }
}

TEST(ActionPolicy, DeletablePaths) {
  EXPECT_TRUE(CheckDeletablePath(
                  "C:\\ProgramData\\Microsoft\\Windows Defender Advanced "
                  "Threat Protection\\Cyber",
                  kWork)
                  .ok());
  EXPECT_TRUE(CheckDeletablePath(std::string(kWork) + "\\x", kWork).ok());
  EXPECT_FALSE(CheckDeletablePath("C:\\Windows", kWork).ok());
  EXPECT_FALSE(CheckDeletablePath(
                   "C:\\ProgramData\\Microsoft\\Windows Defender Advanced "
                   "Threat Protection",
                   kWork)
                   .ok());
}

TEST(ActionPolicy, NamesAndWorkDir) {
  EXPECT_TRUE(CheckArtifactFileName("Install.ps1").ok());
  EXPECT_FALSE(CheckArtifactFileName("..").ok());
  EXPECT_FALSE(CheckArtifactFileName("a\\b").ok());
  EXPECT_FALSE(CheckArtifactFileName("C:x").ok());
  // The closed set of upload (defence in depth against a spoofed server).
  EXPECT_TRUE(
      CheckArtifactFileName(
          "WindowsDefenderATPOffboardingScript_valid_until_2026-12-31.cmd")
          .ok());
  EXPECT_TRUE(CheckArtifactFileName("Onboarding script 1.cmd").ok());
  EXPECT_FALSE(CheckArtifactFileName("Onboarding script (1).cmd").ok());
  for (const char* bad :
       {"a&b.cmd", "x.cmd.", "x.cmd ", " x.cmd", "CON.cmd", "nul", "Com1.txt",
        "LPT9", "a^b.cmd", "a;b.cmd", "a%b.cmd", "a!b.cmd"}) {
    absl::Status refused = CheckArtifactFileName(bad);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(refused.message(), ::testing::HasSubstr("artifact file name"))
        << bad;
  }
  // Every name upload accepts (common/artifact_validation.h), no longer.
  EXPECT_TRUE(
      CheckArtifactFileName(std::string(kMaxArtifactNameLength, 'a')).ok());
  EXPECT_FALSE(
      CheckArtifactFileName(std::string(kMaxArtifactNameLength + 1, 'a')).ok());
  EXPECT_EQ(*TaskWorkDirectory("C:\\ProgramData\\mdefleet", "t-1"),
            "C:\\ProgramData\\mdefleet\\work\\t-1");
  EXPECT_FALSE(TaskWorkDirectory("C:\\ProgramData\\mdefleet", "..").ok());
}

}  // namespace
}  // namespace mdefleet::runner

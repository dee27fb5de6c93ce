#include "common/artifact_validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kSecret[] = "TENANT-SECRET-0f3a9";

const std::string kOnboarding =
    std::string(
        "@echo off\r\n"
        "echo Starting Microsoft Defender for Endpoint onboarding "
        "process...\r\n"
        "reg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Advanced "
        "Threat "
        "Protection\" /v OnboardingInfo /t REG_SZ /f /d \"{\\\"body\\\":\\\"") +
    kSecret + "\\\"}\"\r\n";

const std::string kOffboarding =
    std::string(
        "@echo off\r\n"
        "reg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Advanced "
        "Threat "
        "Protection\" /v 696C1FA1-4030-4FA4-8713-FAF9B2EA7C0A /t REG_SZ /f /d "
        "\"{\\\"body\\\":\\\"") +
    kSecret + "\\\"}\"\r\n";

constexpr char kOffboardingName[] =
    "WindowsDefenderATPOffboardingScript_valid_until_2025-03-15.cmd";

const absl::CivilDay kToday(2025, 3, 15);

std::string Msi() {
  std::string msi("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  msi.append(512, '\0');
  return msi;
}

// The error, which must be InvalidArgument on `field` and never quote the
// content.
std::string ErrorOn(absl::StatusOr<ValidatedArtifact> result,
                    const std::string& field) {
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(result.status().message());
  EXPECT_THAT(message, StartsWith(field + ": "));
  EXPECT_THAT(message, Not(HasSubstr(kSecret)));
  return message;
}

TEST(ValidateArtifactTest, OnboardingScriptIsSecret) {
  auto result = ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                                 "WindowsDefenderATPOnboardingScript.cmd",
                                 kOnboarding, kToday);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->secret);
  EXPECT_FALSE(result->valid_until.has_value());
}

TEST(ValidateArtifactTest, OnboardingMarkerIsCaseInsensitive) {
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT, "x.cmd",
                               "REG ADD ... /V ONBOARDINGINFO /d x", kToday)
                  .ok());
}

TEST(ValidateArtifactTest, OnboardingScriptWithoutMarker) {
  EXPECT_THAT(ErrorOn(ValidateArtifact(
                          v1::ARTIFACT_KIND_ONBOARDING_SCRIPT, "onboard.cmd",
                          std::string("@echo off\r\n") + kSecret, kToday),
                      "content"),
              HasSubstr("not an onboarding script: no OnboardingInfo marker"));
}

// The "Local Script" packages end waiting for a key press; upstream
// Install.ps1 refuses them (exit 37, a "pause" line, any case), so upload
// does, before any device sees one.
TEST(ValidateArtifactTest, InteractiveLocalScriptPackagesAreRefused) {
  EXPECT_THAT(
      ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                               "WindowsDefenderATPLocalOnboardingScript.cmd",
                               kOnboarding + "PAUSE\r\n", kToday),
              "content"),
      HasSubstr("waits for a key press"));
  EXPECT_THAT(ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                                       kOffboardingName,
                                       kOffboarding + "pause\n", kToday),
                      "content"),
              HasSubstr("Group Policy package"));
  // "pause" inside a line is not the command.
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT, "x.cmd",
                               kOnboarding + "echo do not pause here\r\n",
                               kToday)
                  .ok());
}

TEST(ValidateArtifactTest, OffboardingScriptUploadedAsOnboarding) {
  EXPECT_THAT(ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                                       kOffboardingName, kOffboarding, kToday),
                      "content"),
              HasSubstr("this is an offboarding script"));
}

TEST(ValidateArtifactTest, OnboardingScriptUploadedAsOffboarding) {
  EXPECT_THAT(ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                                       kOffboardingName, kOnboarding, kToday),
                      "content"),
              HasSubstr("this is an onboarding script"));
}

TEST(ValidateArtifactTest, OffboardingScriptValidToday) {
  auto result = ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                                 kOffboardingName, kOffboarding, kToday);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->secret);
  EXPECT_EQ(result->valid_until, absl::CivilDay(2025, 3, 15));
}

TEST(ValidateArtifactTest, OffboardingScriptExpiredYesterday) {
  const std::string message =
      ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                               kOffboardingName, kOffboarding, kToday + 1),
              "name");
  EXPECT_THAT(message, HasSubstr("expired on 2025-03-15"));
  EXPECT_THAT(message, HasSubstr("download a new offboarding package"));
}

TEST(ValidateArtifactTest, OffboardingScriptWithoutMarker) {
  EXPECT_THAT(
      ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                               kOffboardingName,
                               std::string("@echo off\r\n") + kSecret, kToday),
              "content"),
      HasSubstr("696C1FA1-4030-4FA4-8713-FAF9B2EA7C0A"));
}

TEST(ValidateArtifactTest, OffboardingScriptMayMentionOnboardingInfoOtherwise) {
  // Only a reg add of OnboardingInfo makes it an onboarding script.
  const std::string content =
      kOffboarding +
      "reg delete \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Advanced "
      "Threat Protection\" /v OnboardingInfo /f\r\n";
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                               kOffboardingName, content, kToday)
                  .ok());
}

TEST(ValidateArtifactTest, OffboardingScriptNeedsTheDateInItsName) {
  EXPECT_THAT(
      ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                               "WindowsDefenderATPOffboardingScript.cmd",
                               kOffboarding, kToday),
              "name"),
      HasSubstr("_valid_until_YYYY-MM-DD"));
}

TEST(ValidateArtifactTest, EmptyContent) {
  for (v1::ArtifactKind kind :
       {v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
        v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT, v1::ARTIFACT_KIND_INSTALL_SCRIPT,
        v1::ARTIFACT_KIND_INSTALLER_MSI, v1::ARTIFACT_KIND_URL_LIST}) {
    EXPECT_EQ(ErrorOn(ValidateArtifact(kind, kOffboardingName, "", kToday),
                      "content"),
              "content: empty file");
  }
}

TEST(ValidateArtifactTest, UnspecifiedKind) {
  EXPECT_THAT(
      ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_UNSPECIFIED, "a", "b", kToday),
              "kind"),
      HasSubstr("onboarding_script"));
  ErrorOn(ValidateArtifact(static_cast<v1::ArtifactKind>(99), "a", "b", kToday),
          "kind");
}

TEST(ValidateArtifactTest, NameMustBeAPlainFileName) {
  for (const char* name :
       {"", "..", "C:\\tmp\\x.cmd", "dir/x.cmd", "..\\x.cmd", "a\nb.cmd",
        "100%.cmd", "run!.cmd", "a\"b.cmd", "a|b.cmd"}) {
    ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT, name,
                             kOnboarding, kToday),
            "name");
  }
  ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                           std::string(256, 'a'), kOnboarding, kToday),
          "name");
}

TEST(CheckArtifactNameTest, TheNamesInUseAreAccepted) {
  for (const char* name :
       {"WindowsDefenderATPOffboardingScript_valid_until_2026-12-31.cmd",
        "WindowsDefenderATPOnboardingScript.cmd", "Install.ps1", "md4ws.msi",
        "urls.txt", "onboard.cmd", "Onboarding Script v2.cmd", ".cmd",
        "CONSOLE.cmd", "NULL.txt", "COM10.cmd", "LPT.cmd", "xCON.cmd",
        "a..b.cmd", "nul_valid_until_2030-01-01.cmd"}) {
    EXPECT_TRUE(CheckArtifactName(name).ok()) << name;
  }
}

TEST(CheckArtifactNameTest, OnlyTheClosedSetIsAccepted) {
  for (const char* name : {"a&b.cmd",
                           "a^b.cmd",
                           "a(b.cmd",
                           "a)b.cmd",
                           "a;b.cmd",
                           "a,b.cmd",
                           "a=b.cmd",
                           "a+b.cmd",
                           "a'b.cmd",
                           "a`b.cmd",
                           "a~b.cmd",
                           "a[b].cmd",
                           "a{b}.cmd",
                           "a$b.cmd",
                           "a#b.cmd",
                           "a@b.cmd",
                           "100%.cmd",
                           "run!.cmd",
                           "a\"b.cmd",
                           "a|b.cmd",
                           "a<b.cmd",
                           "a>b.cmd",
                           "a*b.cmd",
                           "a?b.cmd",
                           "a/b.cmd",
                           "a\\b.cmd",
                           "C:x.cmd",
                           "a\tb.cmd",
                           "a\nb.cmd",
                           "caf\xC3\xA9.cmd",
                           "\xE6\x97\xA5\xE6\x9C\xAC.cmd"}) {
    absl::Status refused = CheckArtifactName(name);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(std::string(refused.message()), StartsWith("name: contains "))
        << name;
    EXPECT_THAT(refused.message(),
                HasSubstr("ASCII letters, digits, '.', '_', '-' and spaces"));
  }
  // A control character is named by its byte, never written out.
  EXPECT_THAT(CheckArtifactName("a\x1b]0;x\x07.cmd").message(),
              HasSubstr("the byte 0x1B"));
}

TEST(CheckArtifactNameTest, NoReservedDeviceNamesNorTrailingDotsOrSpaces) {
  for (const char* name :
       {"CON", "con", "PRN", "AUX", "NUL", "nul.txt", "CON.cmd", "Con.Cmd",
        "NUL.tar.gz", "COM1", "com9.cmd", "COM0.ps1", "LPT1", "lpt5.txt",
        "CON .cmd", "AUX  .cmd"}) {
    absl::Status refused = CheckArtifactName(name);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(refused.message(), HasSubstr("reserves for a device")) << name;
  }
  for (const char* name : {"x.cmd.", "x.cmd ", "x.", "..", ".", "x.cmd..."}) {
    absl::Status refused = CheckArtifactName(name);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(refused.message(), HasSubstr("ends with a")) << name;
  }
  EXPECT_THAT(CheckArtifactName(" x.cmd").message(),
              HasSubstr("starts with a space"));
  EXPECT_THAT(
      std::string(CheckArtifactName("", "artifact file name").message()),
      StartsWith("artifact file name: empty"));
}

TEST(CheckArtifactNameTest, UploadNamesTheField) {
  for (const char* name : {"CON.cmd", "a&b.cmd", "x.cmd."}) {
    ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT, name,
                             kOnboarding, kToday),
            "name");
  }
}

// Found by tests/fuzz/plan_fuzzer: a 201- to 255-character offboarding
// script name was accepted here, and the runner then refused to fetch the
// script under it, so every offboard task failed on the device.
TEST(ValidateArtifactTest, NameNoLongerThanTheRunnerAccepts) {
  const std::string suffix = "_valid_until_2025-03-15.cmd";
  const std::string longest =
      std::string(kMaxArtifactNameLength - suffix.size(), 'a') + suffix;
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT, longest,
                               kOffboarding, kToday)
                  .ok());
  EXPECT_THAT(ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                                       "a" + longest, kOffboarding, kToday),
                      "name"),
              HasSubstr("longer than 200 characters"));
}

TEST(ValidateArtifactTest, Msi) {
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_INSTALLER_MSI, "md4ws.msi",
                               Msi(), kToday)
                  .ok());
  std::string almost = Msi();
  almost[7] = '\xE0';
  EXPECT_EQ(ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_INSTALLER_MSI,
                                     "md4ws.msi", almost, kToday),
                    "content"),
            "content: not an MSI (OLE compound file); upload md4ws.msi from "
            "the Defender portal");
  ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_INSTALLER_MSI, "md4ws.msi",
                           "\xD0\xCF\x11", kToday),
          "content");
  ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_INSTALLER_MSI, "md4ws.msi",
                           kOnboarding, kToday),
          "content");
}

TEST(ValidateArtifactTest, InstallScript) {
  const std::string script =
      "<#\n.SYNOPSIS\nInstalls the unified "
      "agent\n#>\nparam([switch]$Passive)\n";
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_INSTALL_SCRIPT, "Install.ps1",
                               script, kToday)
                  .ok());
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_INSTALL_SCRIPT, "install.PS1",
                               script, kToday)
                  .ok());
  EXPECT_THAT(ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_INSTALL_SCRIPT,
                                       "Install.txt", script, kToday),
                      "name"),
              HasSubstr(".ps1"));
  EXPECT_THAT(ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_INSTALL_SCRIPT,
                                       "Install.ps1", Msi(), kToday),
                      "content"),
              HasSubstr("not a text file"));
  ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_INSTALL_SCRIPT, "Install.ps1",
                           " \r\n\t", kToday),
          "content");
}

TEST(ValidateArtifactTest, UrlList) {
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_URL_LIST, "urls.txt",
                               "# MDE endpoints\n\nhttps://winatp-gw-cus."
                               "microsoft.com/test\r\nhttps://crl.microsoft.com"
                               "\n",
                               kToday)
                  .ok());
  // Line 2 is quoted as the bad URL it is: a URL list is not a secret.
  EXPECT_EQ(
      ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_URL_LIST, "urls.txt",
                               "https://a.example\nftp://a.example\n", kToday),
              "content"),
      "content: line 2: \"ftp://a.example\" is not an https:// URL "
      "(the sensor connects over HTTPS only; one URL per line, '#' "
      "starts a comment)");
  // A line that is not a URL (a wrong file) is not quoted.
  EXPECT_EQ(
      ErrorOn(ValidateArtifact(
                  v1::ARTIFACT_KIND_URL_LIST, "urls.txt",
                  std::string("https://a.example\n") + kSecret + "\n", kToday),
              "content"),
      "content: line 2: is not an https:// URL (the sensor connects over "
      "HTTPS only; one URL per line, '#' starts a comment)");
  ErrorOn(ValidateArtifact(v1::ARTIFACT_KIND_URL_LIST, "urls.txt",
                           "# only a comment\n", kToday),
          "content");
}

TEST(ParseValidUntilTest, Forms) {
  EXPECT_EQ(
      *ParseValidUntil(
          "WindowsDefenderATPOffboardingScript_valid_until_2025-03-15.cmd"),
      absl::CivilDay(2025, 3, 15));
  EXPECT_EQ(*ParseValidUntil(
                "WindowsDefenderATPOffboardingScript_valid_until_20250315.cmd"),
            absl::CivilDay(2025, 3, 15));
  EXPECT_EQ(*ParseValidUntil("x_VALID_UNTIL_2024-12-31"),
            absl::CivilDay(2024, 12, 31));
  EXPECT_EQ(*ParseValidUntil("x_valid_until_2024-12-31 (1).cmd"),
            absl::CivilDay(2024, 12, 31));
  for (const char* bad :
       {"x.cmd", "x_valid_until_.cmd", "x_valid_until_2025-3-15.cmd",
        "x_valid_until_2025-02-30.cmd", "x_valid_until_2025-13-01.cmd",
        "x_valid_until_XX-XX-XX.cmd", "x_valid_until_2025-03-15abc.cmd",
        "x_valid_until_202503.cmd", "x_valid_until_2025031501.cmd"}) {
    auto parsed = ParseValidUntil(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), StartsWith("name: "));
  }
}

TEST(CheckNotExpiredTest, TodayIsValidYesterdayIsNot) {
  EXPECT_TRUE(CheckNotExpired(kToday, kToday).ok());
  EXPECT_TRUE(CheckNotExpired(kToday + 30, kToday).ok());
  absl::Status expired = CheckNotExpired(kToday - 1, kToday);
  EXPECT_EQ(expired.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(expired.message(),
            "offboarding script expired on 2025-03-14; download a new "
            "offboarding package");
}

TEST(ArtifactKindNameTest, RoundTrip) {
  for (v1::ArtifactKind kind :
       {v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
        v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT, v1::ARTIFACT_KIND_INSTALL_SCRIPT,
        v1::ARTIFACT_KIND_INSTALLER_MSI, v1::ARTIFACT_KIND_URL_LIST}) {
    auto parsed = ParseArtifactKind(ArtifactKindName(kind));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(ArtifactKindName(v1::ARTIFACT_KIND_INSTALL_SCRIPT),
            "install_script");
  EXPECT_EQ(*ParseArtifactKind("ARTIFACT_KIND_INSTALLER_MSI"),
            v1::ARTIFACT_KIND_INSTALLER_MSI);
  auto bad = ParseArtifactKind("script");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              StartsWith("kind: unknown artifact kind \"script\""));
  EXPECT_FALSE(ParseArtifactKind("unspecified").ok());
}

}  // namespace
}  // namespace mdefleet

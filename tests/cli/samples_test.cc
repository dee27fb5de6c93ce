// The stand-in artifacts under deploy/samples pass the server's upload
// validation for their kind (and the wrong kind is refused), so the demo and
// the end-to-end tests can rely on them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/artifact_validation.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/file_contents.h"

namespace mdefleet::cli {
namespace {

using ::mdefleet::testing::FileContents;

const std::string kSamples =
    std::string(MDEFLEET_SOURCE_DIR) + "/deploy/samples";
const absl::CivilDay kToday(2026, 1, 15);

class SamplesTest : public ::testing::Test {
 protected:
  int Sh(const std::string& command) {
    return std::system(absl::StrCat(command, " >/dev/null 2>&1").c_str());
  }
  ::mdefleet::testing::TempDir dir_;
};

TEST_F(SamplesTest, OnboardingScriptIsValidAndLabelledStandIn) {
  const std::string content =
      FileContents(kSamples + "/WindowsDefenderATPOnboardingScript.cmd");
  EXPECT_TRUE(absl::StrContains(content, "STAND-IN"));
  auto v = ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                            "WindowsDefenderATPOnboardingScript.cmd", content,
                            kToday);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->secret);
  EXPECT_FALSE(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
                                "x_valid_until_2030-01-01.cmd", content, kToday)
                   .ok());
}

TEST_F(SamplesTest, OffboardingScriptFromTheMakerScriptIsValidUntilItsDate) {
  ASSERT_EQ(Sh(absl::StrCat(kSamples, "/make-offboarding-script.sh 2026-02-14 ",
                            dir_.path())),
            0);
  const std::string name =
      "WindowsDefenderATPOffboardingScript_valid_until_2026-02-14.cmd";
  const std::string content = FileContents(dir_.Join(name));
  ASSERT_FALSE(content.empty());
  EXPECT_TRUE(absl::StrContains(content, "STAND-IN"));
  auto v = ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT, name, content,
                            kToday);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->valid_until.has_value());
  EXPECT_EQ(*v->valid_until, absl::CivilDay(2026, 2, 14));
  // Expired once the date has passed.
  EXPECT_FALSE(ValidateArtifact(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT, name,
                                content, absl::CivilDay(2026, 2, 15))
                   .ok());
  // Not an onboarding script.
  EXPECT_FALSE(ValidateArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                                "WindowsDefenderATPOnboardingScript.cmd",
                                content, kToday)
                   .ok());
  // A malformed date is refused by the maker.
  EXPECT_NE(Sh(absl::StrCat(kSamples, "/make-offboarding-script.sh 2026-13-01 ",
                            dir_.path())),
            0);
}

TEST_F(SamplesTest, InstallScriptAndUrlListAreValid) {
  const std::string ps1 = FileContents(kSamples + "/Install.ps1");
  EXPECT_TRUE(absl::StrContains(ps1, "STAND-IN"));
  for (const char* sw :
       {"$OnboardingScript", "$OffboardingScript", "$RemoveMMA", "$Uninstall",
        "$Passive", "$NoMSILog", "$NoEtl"}) {
    EXPECT_TRUE(absl::StrContains(ps1, sw)) << sw;
  }
  auto install = ValidateArtifact(v1::ARTIFACT_KIND_INSTALL_SCRIPT,
                                  "Install.ps1", ps1, kToday);
  EXPECT_TRUE(install.ok()) << install.status();
  auto urls = ValidateArtifact(v1::ARTIFACT_KIND_URL_LIST, "urls.txt",
                               FileContents(kSamples + "/urls.txt"), kToday);
  EXPECT_TRUE(urls.ok()) << urls.status();
}

TEST_F(SamplesTest, MsiMakerWritesAnOleCompoundFileHeader) {
  ASSERT_EQ(Sh(absl::StrCat(kSamples, "/make-md4ws-msi.sh ", dir_.path())), 0);
  const std::string msi = FileContents(dir_.Join("md4ws.msi"));
  ASSERT_GT(msi.size(), 64u * 1024u);
  EXPECT_EQ(msi.substr(0, 8),
            std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8));
  auto v = ValidateArtifact(v1::ARTIFACT_KIND_INSTALLER_MSI, "md4ws.msi", msi,
                            kToday);
  EXPECT_TRUE(v.ok()) << v.status();
}

}  // namespace
}  // namespace mdefleet::cli

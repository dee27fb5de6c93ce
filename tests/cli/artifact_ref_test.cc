#include "server/cli/artifact_ref.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "server/cli/errors.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::cli {
namespace {

using ::testing::HasSubstr;

class ArtifactRefTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upload_ = [this](const std::string& path,
                     v1::ArtifactKind kind) -> absl::StatusOr<v1::Artifact> {
      calls_.push_back({path, kind});
      if (fail_) return absl::InvalidArgumentError("content: not a script");
      v1::Artifact artifact;
      artifact.set_id(std::string(64, 'c'));
      artifact.set_kind(kind);
      return artifact;
    };
  }

  std::string Write(const std::string& name) {
    const std::string path = dir_.Join(name);
    std::ofstream(path) << "reg add ... /v OnboardingInfo";
    return path;
  }

  struct Call {
    std::string path;
    v1::ArtifactKind kind;
  };
  ::mdefleet::testing::TempDir dir_;
  std::vector<Call> calls_;
  bool fail_ = false;
  ArtifactUploader upload_;
};

TEST_F(ArtifactRefTest, ExistingFileIsUploadedWithTheFlagsKind) {
  const std::string path = Write("WindowsDefenderATPOnboardingScript.cmd");
  auto id = ResolveArtifactRef("--onboarding-script", path,
                               v1::ARTIFACT_KIND_ONBOARDING_SCRIPT, upload_);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, std::string(64, 'c'));
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].path, path);
  EXPECT_EQ(calls_[0].kind, v1::ARTIFACT_KIND_ONBOARDING_SCRIPT);
}

TEST_F(ArtifactRefTest, HexIdIsUsedAsIsInLowerCase) {
  const std::string id = "ABCDEF" + std::string(58, '0');
  auto resolved = ResolveArtifactRef("--installer", id,
                                     v1::ARTIFACT_KIND_INSTALLER_MSI, upload_);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, "abcdef" + std::string(58, '0'));
  EXPECT_TRUE(calls_.empty());
}

TEST_F(ArtifactRefTest, AFileNamedLikeAnIdWins) {
  const std::string name(64, 'a');
  const std::string path = Write(name);
  auto id = ResolveArtifactRef("--onboarding-script", path,
                               v1::ARTIFACT_KIND_ONBOARDING_SCRIPT, upload_);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(calls_.size(), 1u);
}

TEST_F(ArtifactRefTest, NeitherFileNorIdIsAUsageErrorNamingTheFlag) {
  for (const std::string& value :
       {dir_.Join("missing.cmd"), std::string("abc123"), std::string(63, 'a'),
        std::string(64, 'g')}) {
    auto id = ResolveArtifactRef("--offboarding-script", value,
                                 v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT, upload_);
    ASSERT_FALSE(id.ok()) << value;
    EXPECT_TRUE(IsUsageError(id.status())) << value;
    EXPECT_THAT(std::string(id.status().message()),
                HasSubstr("--offboarding-script"));
  }
  EXPECT_TRUE(calls_.empty());
}

TEST_F(ArtifactRefTest, DirectoryIsRefused) {
  auto id = ResolveArtifactRef("--install-script", dir_.path(),
                               v1::ARTIFACT_KIND_INSTALL_SCRIPT, upload_);
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(IsUsageError(id.status()));
  EXPECT_THAT(std::string(id.status().message()),
              HasSubstr("not a regular file"));
  EXPECT_TRUE(calls_.empty());
}

TEST_F(ArtifactRefTest, UploadErrorsPassThrough) {
  fail_ = true;
  auto id = ResolveArtifactRef("--onboarding-script", Write("x.cmd"),
                               v1::ARTIFACT_KIND_ONBOARDING_SCRIPT, upload_);
  ASSERT_FALSE(id.ok());
  EXPECT_FALSE(IsUsageError(id.status()));
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("content"));
}

TEST(IsArtifactIdTest, SixtyFourHexDigits) {
  EXPECT_TRUE(IsArtifactId(std::string(64, 'f')));
  EXPECT_TRUE(IsArtifactId(std::string(64, '0')));
  EXPECT_FALSE(IsArtifactId(std::string(65, 'f')));
  EXPECT_FALSE(IsArtifactId(""));
  EXPECT_FALSE(IsArtifactId(std::string(63, 'f') + "z"));
}

}  // namespace
}  // namespace mdefleet::cli

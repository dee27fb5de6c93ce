#include "common/zip/client_analyzer_zip.h"

#include <string>

#include "common/artifact_validation.h"
#include "common/zip/zip_archive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet::zip {
namespace {

using ::testing::HasSubstr;

std::string Zip(std::vector<std::pair<std::string, std::string>> files) {
  auto zip = WriteArchive(files);
  EXPECT_TRUE(zip.ok()) << zip.status();
  return zip.ok() ? *zip : "";
}

TEST(ClientAnalyzerZipTest, AcceptsTheAnalyzerLayout) {
  const std::string zip = Zip({{"MDEClientAnalyzer.cmd", "@echo off"},
                               {"MDEClientAnalyzer.ps1", "param()"},
                               {"Tools\\MDELiveAnalyzer.ps1", "x"}});
  EXPECT_TRUE(ValidateClientAnalyzerZip(zip).ok());
  // The common check (the first bytes) passes too.
  EXPECT_TRUE(ValidateArtifact(v1::ARTIFACT_KIND_CLIENT_ANALYZER,
                               "MDEClientAnalyzer.zip", zip,
                               absl::CivilDay(2026, 1, 1))
                  .ok());
}

TEST(ClientAnalyzerZipTest, RefusesAZipWithoutTheAnalyzer) {
  absl::Status s = ValidateClientAnalyzerZip(Zip({{"readme.txt", "hello"}}));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("content: not Microsoft's"));
  EXPECT_THAT(s.message(), HasSubstr("MDEClientAnalyzer.cmd"));
  // The scripts in a subfolder are not where the plan runs them.
  s = ValidateClientAnalyzerZip(Zip({{"sub/MDEClientAnalyzer.cmd", "x"},
                                     {"sub/MDEClientAnalyzer.ps1", "x"}}));
  EXPECT_THAT(s.message(), HasSubstr("content: not Microsoft's"));
  // Only the .cmd: the .ps1 is named as missing.
  s = ValidateClientAnalyzerZip(Zip({{"MDEClientAnalyzer.cmd", "x"}}));
  EXPECT_THAT(s.message(), HasSubstr("no MDEClientAnalyzer.ps1"));
}

TEST(ClientAnalyzerZipTest, RefusesEscapingEntries) {
  absl::Status s = ValidateClientAnalyzerZip(
      Zip({{"MDEClientAnalyzer.cmd", "x"},
           {"MDEClientAnalyzer.ps1", "x"},
           {"..\\..\\Windows\\System32\\evil.dll", "x"}}));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("outside its folder"));
}

TEST(ClientAnalyzerZipTest, RefusesWhatIsNotAZip) {
  absl::Status s = ValidateClientAnalyzerZip("@echo off\r\nMDEClientAnalyzer");
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("content: not a ZIP archive"));
  auto common = ValidateArtifact(v1::ARTIFACT_KIND_CLIENT_ANALYZER,
                                 "MDEClientAnalyzer.zip", "@echo off",
                                 absl::CivilDay(2026, 1, 1));
  EXPECT_THAT(common.status().message(), HasSubstr("content: not a ZIP"));
  EXPECT_EQ(ParseArtifactKind("client_analyzer")
                .value_or(v1::ARTIFACT_KIND_UNSPECIFIED),
            v1::ARTIFACT_KIND_CLIENT_ANALYZER);
}

}  // namespace
}  // namespace mdefleet::zip

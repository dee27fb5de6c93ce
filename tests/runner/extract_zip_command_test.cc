// The Windows host's ZIP extraction command line: PowerShell with .NET's
// ZipFile, the paths as single-quoted literals.
#include "runner/host/extract_zip_command.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet::runner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ExtractZipCommand, PowerShellWithZipFile) {
  auto request =
      ExtractZipRequest("C:\\state\\work\\t-1\\MDEClientAnalyzer.zip",
                        "C:\\state\\work\\t-1\\MDEClientAnalyzer");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->program,
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.exe");
  ASSERT_EQ(request->args.size(), 4u);
  EXPECT_THAT(request->args[2], "-Command");
  EXPECT_THAT(request->args[3],
              HasSubstr("Add-Type -AssemblyName System.IO.Compression."
                        "FileSystem; [System.IO.Compression.ZipFile]::"
                        "ExtractToDirectory('C:\\state\\work\\t-1\\"
                        "MDEClientAnalyzer.zip', 'C:\\state\\work\\t-1\\"
                        "MDEClientAnalyzer')"));
  EXPECT_THAT(request->args[3], HasSubstr("$ErrorActionPreference = 'Stop'"));
  EXPECT_EQ(request->working_directory, "C:\\state\\work\\t-1");
}

TEST(ExtractZipCommand, QuotesAreEscapedOrRefused) {
  auto quoted = ExtractZipRequest("C:\\it's\\a.zip", "C:\\it's\\a");
  ASSERT_TRUE(quoted.ok());
  EXPECT_THAT(quoted->args[3], HasSubstr("'C:\\it''s\\a.zip'"));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ExtractZipRequest("C:\\a\"b.zip", "C:\\x").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ExtractZipRequest("C:\\a\xE2\x80\x99"
                                                        "b.zip",
                                                        "C:\\x")
                                          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ExtractZipRequest("C:\\a.zip", "C:\\x\ny").status()));
}

}  // namespace
}  // namespace mdefleet::runner

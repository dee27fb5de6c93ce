// The MSI log excerpt a failed Install.ps1 step carries (failure_log.h).
#include "runner/executor/failure_log.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

using testing::kWork;

// Install.ps1's trace, "InstallPS1-$env:COMPUTERNAME.<time>.log".
TEST(MatchesLogPattern, SeveralStars) {
  EXPECT_TRUE(MatchesLogPattern("InstallPS1-SRV01.231205T101010123+0900.log",
                                "InstallPS1-*.*.log"));
  EXPECT_FALSE(MatchesLogPattern("InstallPS1-SRV01.log", "InstallPS1-*.*.log"));
  EXPECT_FALSE(MatchesLogPattern("InstallPS1-.x.log", "InstallPS1-*.*.log"));
  EXPECT_FALSE(MatchesLogPattern("InstallPS1-a.b.c.log", "InstallPS1-*.*.log"));
}

TEST(MatchesLogPattern, StarStopsAtDots) {
  EXPECT_TRUE(MatchesLogPattern("install-SRV01.log", "install-*.log"));
  EXPECT_TRUE(MatchesLogPattern("INSTALL-srv01.LOG", "install-*.log"));
  EXPECT_FALSE(MatchesLogPattern("install-SRV01.prev.log", "install-*.log"));
  EXPECT_FALSE(MatchesLogPattern("install-.log", "install-*.log"));
  EXPECT_FALSE(MatchesLogPattern("uninstall-SRV01.log", "install-*.log"));
  EXPECT_TRUE(MatchesLogPattern("a.log", "a.log"));
}

TEST(DecodeLogText, Utf16LittleEndianWithOrWithoutBom) {
  const std::string utf16(
      "\xFF\xFE"
      "R\0e\0t\0 \0"
      "3\0\xE9\0",
      14);
  EXPECT_EQ(DecodeLogText(utf16), "Ret 3\xC3\xA9");
  const std::string no_bom("A\0B\0C\0D\0", 8);
  EXPECT_EQ(DecodeLogText(no_bom), "ABCD");
  EXPECT_EQ(DecodeLogText("plain\r\ntext"), "plain\r\ntext");
}

TEST(LogExcerpt, EndsAtTheLastReturnValue3) {
  std::string log;
  for (int i = 0; i < 20; ++i) absl::StrAppend(&log, "line ", i, "\r\n");
  absl::StrAppend(&log, "CustomAction X returned actual error code 1603\r\n",
                  "Action ended: InstallFinalize. Return value 3.\r\n", "\r\n",
                  "Property(S): SECRETISH = 1\r\n",
                  "=== Logging stopped ===\r\n");
  const std::string excerpt = LogExcerpt(log, 3, 1000);
  EXPECT_EQ(excerpt,
            "line 19 | CustomAction X returned actual error code 1603 | "
            "Action ended: InstallFinalize. Return value 3.");
  // Without a failed action: the last lines.
  EXPECT_EQ(LogExcerpt("a\nb\n\nc\n", 2, 1000), "b | c");
  EXPECT_LE(LogExcerpt(log, 100, 40).size(), 40u);
}

TEST(ReadFailureLog, ReadsTheMatchingLogOnlyForItsCodes) {
  TempDir dir;
  auto host = testing::MakeSim("ws2016", dir.path());
  ASSERT_TRUE(host->CreateDirectories(kWork).ok());
  ASSERT_TRUE(host->WriteFile(absl::StrCat(kWork, "\\install-SRV.log"),
                              "x\r\nAction ended: INSTALL. Return value 3.\r\n")
                  .ok());
  ASSERT_TRUE(host->WriteFile(absl::StrCat(kWork, "\\install-SRV.prev.log"),
                              "old run\r\n")
                  .ok());
  v1::RunProcessAction a;
  v1::FailureLog* log = a.add_failure_logs();
  log->set_path("${work_dir}\\install-*.log");
  log->add_exit_codes(1603);
  auto text = ReadFailureLog(*host, a.failure_logs(), kWork, 1603);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text,
            "install-SRV.log: x | Action ended: INSTALL. Return value 3.");
  EXPECT_FALSE(ReadFailureLog(*host, a.failure_logs(), kWork, 4).has_value());
  // No log written: said so.
  log->set_path("${work_dir}\\uninstall-*.log");
  EXPECT_THAT(ReadFailureLog(*host, a.failure_logs(), kWork, 1603).value(),
              HasSubstr("no uninstall-*.log was written"));
}

TEST(ReadFailureLog, RefusesPathsOutsideTheWorkDir) {
  TempDir dir;
  auto host = testing::MakeSim("ws2016", dir.path());
  v1::RunProcessAction a;
  v1::FailureLog* log = a.add_failure_logs();
  log->add_exit_codes(1603);
  for (const char* path :
       {"C:\\Windows\\System32\\config\\SAM", "${work_dir}\\..\\x.log",
        "${work_dir}\\sub\\x.log"}) {
    log->set_path(path);
    auto text = ReadFailureLog(*host, a.failure_logs(), kWork, 1603);
    ASSERT_TRUE(text.has_value()) << path;
    EXPECT_THAT(*text, HasSubstr("not read")) << path;
    EXPECT_THAT(*text, Not(HasSubstr(": x"))) << path;
  }
}

}  // namespace
}  // namespace mdefleet::runner

// What a failed program leaves for the operator (runner/executor/evidence.h),
// on a simulated server whose msiexec fails.
#include "runner/executor/evidence.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/evidence_limits.h"
#include "common/gzip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using ::testing::HasSubstr;
using testing::MakeSim;

using testing::kWork;

v1::RunProcessAction WithLogs() {
  v1::RunProcessAction a;
  a.add_failure_logs()->set_path("${work_dir}\\install-*.log");
  a.add_failure_logs()->set_path("${work_dir}\\InstallPS1-*.*.log");
  return a;
}

TEST(Evidence, OutputAndEveryMatchingLogDecoded) {
  TempDir dir;
  auto host = MakeSim("ws2016", dir.path());
  ASSERT_TRUE(host->CreateDirectories(kWork).ok());
  // The MSI log is UTF-16LE, as Windows Installer may write it.
  const std::string msi_text = "Return value 3.\r\n";
  std::string utf16 = "\xff\xfe";
  for (char c : msi_text) {
    utf16 += c;
    utf16 += '\0';
  }
  ASSERT_TRUE(
      host->WriteFile(std::string(kWork) + "\\install-SRV.log", utf16).ok());
  ASSERT_TRUE(host->WriteFile(std::string(kWork) +
                                  "\\InstallPS1-SRV.231205T101010123+0000.log",
                              "[SRV:01 ...] trace\r\n")
                  .ok());
  ASSERT_TRUE(
      host->WriteFile(std::string(kWork) + "\\onboard.cmd", "secret").ok());
  ProcessResult result;
  result.exit_code = 1603;
  result.stdout_text = "out";
  result.stderr_text = "err";
  std::vector<EvidenceItem> items =
      CollectProcessEvidence(*host, WithLogs(), kWork, result);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].name, "stdout.txt");
  EXPECT_EQ(items[1].name, "stderr.txt");
  EXPECT_EQ(items[2].name, "install-SRV.log");
  EXPECT_EQ(items[2].content, msi_text);
  EXPECT_EQ(items[2].original_size, utf16.size());
  EXPECT_EQ(items[3].name, "InstallPS1-SRV.231205T101010123+0000.log");
  // Only the named logs: never the onboarding script beside them.
  for (const EvidenceItem& item : items) EXPECT_NE(item.name, "onboard.cmd");
}

TEST(Evidence, ALongFileKeepsItsEnd) {
  TempDir dir;
  auto host = MakeSim("ws2016", dir.path());
  ProcessResult result;
  result.stdout_text = std::string(kMaxEvidenceFileBytes, 'a') + "THE END";
  std::vector<EvidenceItem> items =
      CollectProcessEvidence(*host, {}, kWork, result);
  ASSERT_GE(items.size(), 1u);
  EXPECT_TRUE(items[0].truncated);
  EXPECT_EQ(items[0].content.size(), kMaxEvidenceFileBytes);
  EXPECT_THAT(items[0].content, ::testing::EndsWith("THE END"));
}

TEST(Evidence, PackedWithinTheBoundsTheServerChecks) {
  std::vector<EvidenceItem> items;
  for (int i = 0; i < 20; ++i) {
    // Incompressible: 20 x 1 MiB cannot all fit in 3 MiB.
    std::string noise;
    uint32_t x = 2463534242u + i;
    for (int j = 0; j < (1 << 20); ++j) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      noise += static_cast<char>('!' + x % 90);
    }
    items.push_back({absl::StrCat("f", i, ".log"), noise, noise.size(), false});
  }
  absl::StatusOr<v1::UploadEvidenceRequest> packed = PackEvidence(items);
  ASSERT_TRUE(packed.ok()) << packed.status();
  packed->set_task_id("t1");
  EXPECT_TRUE(ValidateEvidenceUpload(*packed).ok())
      << ValidateEvidenceUpload(*packed);
  const v1::EvidenceFile& last = packed->files(packed->files_size() - 1);
  EXPECT_EQ(last.name(), "omitted.txt");
  EXPECT_THAT(*GzipDecompress(last.gzip_content(), 1 << 20),
              HasSubstr("f19.log"));
}

}  // namespace
}  // namespace mdefleet::runner

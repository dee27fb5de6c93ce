#include "common/zip/zip_archive.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet::zip {
namespace {

using ::testing::HasSubstr;

TEST(ZipArchiveTest, WritesAndReadsBack) {
  auto zip = WriteArchive({{"a.txt", "alpha"}, {"dir\\b.txt", "bravo"}});
  ASSERT_TRUE(zip.ok()) << zip.status();
  auto entries = ListEntries(*zip);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "a.txt");
  EXPECT_EQ((*entries)[0].size, 5u);
  // Backslash names (as Windows tools write them) match either separator.
  auto b = ReadEntry(*zip, "DIR/B.TXT", 100);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, "bravo");
}

TEST(ZipArchiveTest, BoundsAndAbsence) {
  auto zip = WriteArchive({{"big.txt", std::string(1000, 'x')}});
  ASSERT_TRUE(zip.ok());
  EXPECT_TRUE(absl::IsOutOfRange(ReadEntry(*zip, "big.txt", 999).status()));
  EXPECT_TRUE(ReadEntry(*zip, "big.txt", 1000).ok());
  EXPECT_TRUE(absl::IsNotFound(ReadEntry(*zip, "other.txt", 10).status()));
}

TEST(ZipArchiveTest, RefusesWhatIsNotAZip) {
  auto listed = ListEntries("PK\x03\x04 but nothing after");
  EXPECT_TRUE(absl::IsInvalidArgument(listed.status()));
  EXPECT_THAT(listed.status().message(), HasSubstr("not a ZIP archive"));
  auto zip = WriteArchive({{"a.txt", std::string(5000, 'a')}});
  ASSERT_TRUE(zip.ok());
  // Cut short: the central directory is gone.
  EXPECT_FALSE(ListEntries(zip->substr(0, zip->size() / 2)).ok());
}

TEST(ZipArchiveTest, ContainedNames) {
  EXPECT_TRUE(IsContainedEntryName("MDEClientAnalyzer.cmd"));
  EXPECT_TRUE(IsContainedEntryName("Tools\\x.ps1"));
  EXPECT_FALSE(IsContainedEntryName("..\\x.ps1"));
  EXPECT_FALSE(IsContainedEntryName("Tools/../../x"));
  EXPECT_FALSE(IsContainedEntryName("/etc/x"));
  EXPECT_FALSE(IsContainedEntryName("\\Windows\\x"));
  EXPECT_FALSE(IsContainedEntryName("C:\\x"));
  EXPECT_FALSE(IsContainedEntryName(""));
}

}  // namespace
}  // namespace mdefleet::zip

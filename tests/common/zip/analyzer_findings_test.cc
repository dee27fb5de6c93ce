#include "common/zip/analyzer_findings.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/zip/zip_archive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet::zip {
namespace {

using ::testing::HasSubstr;

std::string Event(absl::string_view id, absl::string_view severity,
                  absl::string_view check, absl::string_view result) {
  return absl::StrCat("<event id=\"", id, "\"><severity>", severity,
                      "</severity><category>Connectivity</category><check>",
                      check, "</check><checkresult>", result,
                      "</checkresult><guidance></guidance></event>");
}

std::string Results(absl::string_view events) {
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<MDEResults><general>"
      "<scriptVersion displayName=\"Script Version: \"><value>1</value>"
      "</scriptVersion></general><events>",
      events, "</events></MDEResults>");
}

TEST(AnalyzerFindingsTest, CountsAndKeepsErrorsThenWarnings) {
  const std::string xml = Results(absl::StrCat(
      Event("130017", "Informational", "EDR CnC", "Connected"),
      Event("121012", "Warning", "SecurityIntelligence",
            "Outdated &lt;b&gt;version&lt;/b&gt;"),
      Event("122001", "Error", "SenseService", "Sense is   stopped")));
  auto summary = ParseAnalyzerFindings(xml);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->errors(), 1u);
  EXPECT_EQ(summary->warnings(), 1u);
  EXPECT_EQ(summary->informational(), 1u);
  ASSERT_EQ(summary->findings_size(), 2);
  EXPECT_EQ(summary->findings(0).severity(), "Error");
  EXPECT_EQ(summary->findings(0).id(), "122001");
  EXPECT_EQ(summary->findings(0).check(), "SenseService");
  EXPECT_EQ(summary->findings(0).result(), "Sense is stopped");
  EXPECT_EQ(summary->findings(1).id(), "121012");
  // The escaped HTML the analyzer writes is shown without its markup.
  EXPECT_EQ(summary->findings(1).result(), "Outdated version");
}

TEST(AnalyzerFindingsTest, Bounded) {
  std::string events;
  for (int i = 0; i < 30; ++i) {
    events += Event(absl::StrCat(i), "Error", "c", std::string(500, 'x'));
  }
  events += Event("w", "Warning", "c", "later");
  auto summary = ParseAnalyzerFindings(Results(events));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->errors(), 30u);
  EXPECT_EQ(summary->warnings(), 1u);
  ASSERT_EQ(summary->findings_size(), 20);
  EXPECT_EQ(summary->findings(19).severity(), "Error");
  EXPECT_LE(summary->findings(0).result().size(), 203u);
  EXPECT_THAT(summary->findings(0).result(), testing::EndsWith("..."));
}

TEST(AnalyzerFindingsTest, RefusesBadXml) {
  auto bad = ParseAnalyzerFindings("<MDEResults><events><event>");
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(bad.status().message(), HasSubstr("not well-formed XML"));
  auto wrong = ParseAnalyzerFindings("<other/>");
  EXPECT_THAT(wrong.status().message(), HasSubstr("no <MDEResults>"));
}

TEST(AnalyzerFindingsTest, SummarizesABundle) {
  auto bundle = WriteArchive(
      {{"MDEClientAnalyzer.htm", "<html></html>"},
       {"SystemInfoLogs\\MDEClientAnalyzer.xml",
        Results(Event("122001", "Error", "SenseService", "stopped"))}});
  ASSERT_TRUE(bundle.ok());
  auto summary = SummarizeResultBundle(*bundle);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->errors(), 1u);
  EXPECT_EQ(summary->bundle_size(), bundle->size());
  EXPECT_TRUE(summary->note().empty());
}

TEST(AnalyzerFindingsTest, ABundleWithoutFindingsSaysSo) {
  auto bundle = WriteArchive({{"MDEClientAnalyzer.htm", "<html></html>"}});
  ASSERT_TRUE(bundle.ok());
  auto summary = SummarizeResultBundle(*bundle);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_THAT(summary->note(), HasSubstr("no MDEClientAnalyzer.xml"));
  auto broken = WriteArchive(
      {{"SystemInfoLogs/MDEClientAnalyzer.xml", "<MDEResults><events>"}});
  ASSERT_TRUE(broken.ok());
  summary = SummarizeResultBundle(*broken);
  ASSERT_TRUE(summary.ok());
  EXPECT_THAT(summary->note(), HasSubstr("not well-formed"));
  EXPECT_TRUE(absl::IsInvalidArgument(
      SummarizeResultBundle("not a zip at all").status()));
}

}  // namespace
}  // namespace mdefleet::zip

// The text writer: values, escaping (round trip through the strict parser)
// and histogram lines.
#include "server/metrics/text_format.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "tests/server/metrics/exposition_parser.h"

namespace mdefleet::metrics {
namespace {

using ::mdefleet::testing::Exposition;
using ::mdefleet::testing::ParseExposition;

TEST(FormatValueTest, WholeNumbersHaveNoExponentOrFraction) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-0.0), "0");
  EXPECT_EQ(FormatValue(1), "1");
  EXPECT_EQ(FormatValue(1000000), "1000000");
  EXPECT_EQ(FormatValue(-42), "-42");
  EXPECT_EQ(FormatValue(9007199254740992.0), "9007199254740992");
}

TEST(FormatValueTest, FractionsReadBackExactly) {
  for (double v : {0.1, 0.001, 0.0025, 2.5, 1e-7, 123.456, 1.5e300, -3.25e-9,
                   1e15 + 0.5, 1e20}) {
    const std::string text = FormatValue(v);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
    absl::StatusOr<Exposition> parsed =
        ParseExposition(absl::StrCat("x ", text, "\n"));
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed->Value("x"), v);
  }
  EXPECT_EQ(FormatValue(0.001), "0.001");
  EXPECT_EQ(FormatValue(2.5), "2.5");
}

TEST(FormatValueTest, SpecialValuesAreSpelledAsPrometheusDoes) {
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(EscapeTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeLabelValue("plain é ✓"), "plain é ✓");
}

TEST(EscapeTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(EscapeHelp("a\\b\"c\nd"), "a\\\\b\"c\\nd");
}

TEST(EscapeTest, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(EscapeLabelValue("a\xFF"
                             "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(EscapeLabelValue("\xC3"), "\xEF\xBF\xBD");  // truncated
  EXPECT_EQ(EscapeHelp("\xED\xA0\x80"),                 // a surrogate
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(WriterTest, LabelValuesRoundTripThroughTheParser) {
  const std::vector<std::string> values = {"",
                                           "plain",
                                           "quote \" inside",
                                           "back\\slash",
                                           "new\nline",
                                           "\\\"\n\\n",
                                           "trailing \\",
                                           "{}=,\" x=\"y",
                                           "日本語",
                                           "<script>alert(1)</script>"};
  FamilySnapshot family;
  family.name = "odd_labels";
  family.help = "Help with \\ and\nnewline and \"quotes\".";
  family.type = MetricType::kGauge;
  for (size_t i = 0; i < values.size(); ++i) {
    family.samples.push_back(
        {{{"v", values[i]}, {"i", std::to_string(i)}}, static_cast<double>(i)});
  }
  const std::string text = WriteTextFormat({family});
  absl::StatusOr<Exposition> parsed = ParseExposition(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  EXPECT_EQ(*parsed->Family("odd_labels")->help, family.help);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(parsed->Value("odd_labels",
                            {{"v", values[i]}, {"i", std::to_string(i)}}),
              static_cast<double>(i))
        << values[i];
  }
}

TEST(WriterTest, HistogramLinesAreCumulativeWithInfSumAndCount) {
  FamilySnapshot family;
  family.name = "latency_seconds";
  family.help = "Latency.";
  family.type = MetricType::kHistogram;
  family.histograms.push_back(
      {{{"method", "Get"}}, {{0.005, 1}, {0.01, 3}, {1, 3}}, 0.75, 5});
  const std::string text = WriteTextFormat({family});
  EXPECT_EQ(text,
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{method=\"Get\",le=\"0.005\"} 1\n"
            "latency_seconds_bucket{method=\"Get\",le=\"0.01\"} 3\n"
            "latency_seconds_bucket{method=\"Get\",le=\"1\"} 3\n"
            "latency_seconds_bucket{method=\"Get\",le=\"+Inf\"} 5\n"
            "latency_seconds_sum{method=\"Get\"} 0.75\n"
            "latency_seconds_count{method=\"Get\"} 5\n");
  EXPECT_TRUE(ParseExposition(text).ok());
}

TEST(WriterTest, UnlabelledSamplesHaveNoBraces) {
  FamilySnapshot family;
  family.name = "up";
  family.help = "";
  family.type = MetricType::kCounter;
  family.samples.push_back({{}, 7});
  EXPECT_EQ(WriteTextFormat({family}), "# HELP up \n# TYPE up counter\nup 7\n");
  EXPECT_TRUE(ParseExposition(WriteTextFormat({family})).ok());
}

}  // namespace
}  // namespace mdefleet::metrics

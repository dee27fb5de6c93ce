// The strict parser accepts valid expositions and refuses each thing the
// format forbids: if it accepted those, tests parsing /metrics would prove
// nothing.
#include "tests/server/metrics/exposition_parser.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mdefleet::testing {
namespace {

constexpr absl::string_view kValid =
    "# HELP requests_total Calls \\\\ handled.\\nSecond line.\n"
    "# TYPE requests_total counter\n"
    "requests_total{method=\"Get\",code=\"OK\"} 3\n"
    "requests_total{method=\"Get\",code=\"NOT_FOUND\"} 0 1700000000000\n"
    "# A plain comment.\n"
    "\n"
    "# TYPE temperature gauge\n"
    "temperature{room=\"a \\\"b\\\" \\\\ c\\nd\"} -1.5e-3\n"
    "temperature{room=\"x\"} NaN\n"
    "temperature{room=\"y\"} +Inf\n"
    "temperature{room=\"z\"} -Inf\n"
    "# TYPE latency_seconds histogram\n"
    "latency_seconds_bucket{le=\"0.1\"} 1\n"
    "latency_seconds_bucket{le=\"1\"} 3\n"
    "latency_seconds_bucket{le=\"+Inf\"} 4\n"
    "latency_seconds_sum 7.25\n"
    "latency_seconds_count 4\n"
    "untyped_thing 1\n";

absl::Status Parse(absl::string_view text) {
  return ParseExposition(text).status();
}

// Expects a refusal whose message mentions `why`.
void ExpectRejected(absl::string_view text, absl::string_view why) {
  absl::StatusOr<Exposition> parsed = ParseExposition(text);
  ASSERT_FALSE(parsed.ok()) << "accepted:\n" << text;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(why), absl::string_view::npos)
      << parsed.status() << " does not mention \"" << why << "\"";
}

TEST(ExpositionParserTest, AcceptsAValidExposition) {
  absl::StatusOr<Exposition> parsed = ParseExposition(kValid);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->families.size(), 4u);
  const ParsedFamily* requests = parsed->Family("requests_total");
  ASSERT_NE(requests, nullptr);
  EXPECT_EQ(requests->type, "counter");
  EXPECT_EQ(*requests->help, "Calls \\ handled.\nSecond line.");
  EXPECT_EQ(
      parsed->Value("requests_total", {{"method", "Get"}, {"code", "OK"}}), 3);
  EXPECT_EQ(requests->samples[1].timestamp_ms, 1700000000000);
  EXPECT_EQ(parsed->Value("temperature", {{"room", "a \"b\" \\ c\nd"}}),
            -1.5e-3);
  EXPECT_TRUE(std::isnan(*parsed->Value("temperature", {{"room", "x"}})));
  EXPECT_TRUE(std::isinf(*parsed->Value("temperature", {{"room", "z"}})));
  EXPECT_EQ(parsed->Family("latency_seconds")->samples.size(), 5u);
  EXPECT_EQ(parsed->Family("untyped_thing")->type, "untyped");
  EXPECT_TRUE(Parse("").ok());
}

TEST(ExpositionParserTest, RejectsMissingTrailingNewline) {
  ExpectRejected("x 1", "trailing newline");
  ExpectRejected(std::string(kValid).substr(0, kValid.size() - 1),
                 "trailing newline");
}

TEST(ExpositionParserTest, RejectsBadMetricNames) {
  ExpectRejected("1x 1\n", "bad metric name");
  ExpectRejected("x-y 1\n", "bad metric name");
  ExpectRejected("x\ty 1\n", "bad metric name");
  ExpectRejected(" x 1\n", "bad metric name");
  ExpectRejected("# TYPE 9lives gauge\n", "bad metric name");
  ExpectRejected("# HELP x.y help\n", "bad metric name");
}

TEST(ExpositionParserTest, RejectsBadLabelNames) {
  ExpectRejected("x{1a=\"v\"} 1\n", "bad label name");
  ExpectRejected("x{a:b=\"v\"} 1\n", "bad label name");
  ExpectRejected("x{__name__=\"v\"} 1\n", "bad label name");
  ExpectRejected("x{=\"v\"} 1\n", "bad label name");
  ExpectRejected("x{a=\"v\",a=\"w\"} 1\n", "given twice");
}

TEST(ExpositionParserTest, RejectsUnescapedQuotesAndBadEscapes) {
  ExpectRejected("x{a=\"say \"hi\"\"} 1\n", "unescaped quote");
  ExpectRejected("x{a=\"open} 1\n", "unterminated");
  ExpectRejected("x{a=\"tab\\t\"} 1\n", "bad escape");
  ExpectRejected("x{a=v} 1\n", "not quoted");
  ExpectRejected("# HELP x a \\\"quote\\\"\n", "escape");
  ExpectRejected("# HELP x ends \\\n", "lone backslash");
}

TEST(ExpositionParserTest, RejectsBadValuesAndBlanks) {
  ExpectRejected("x\n", "no value");
  ExpectRejected("x 1e\n", "bad value");
  ExpectRejected("x inf\n", "bad value");
  ExpectRejected("x Inf\n", "bad value");
  ExpectRejected("x nan\n", "bad value");
  ExpectRejected("x 0x10\n", "bad value");
  ExpectRejected("x 1,5\n", "bad value");
  ExpectRejected("x 1 12.5\n", "bad timestamp");
  ExpectRejected("x  1\n", "stray blank");
  ExpectRejected("x 1 \n", "stray blank");
  ExpectRejected("x 1 2 3\n", "optional timestamp");
}

TEST(ExpositionParserTest, RejectsInvalidUtf8) {
  ExpectRejected("x{a=\"\xC3\x28\"} 1\n", "UTF-8");
  ExpectRejected("x{a=\"\xED\xA0\x80\"} 1\n", "UTF-8");  // a surrogate
  ExpectRejected("x{a=\"\xC0\xAF\"} 1\n", "UTF-8");      // overlong
}

TEST(ExpositionParserTest, RejectsDuplicateSeries) {
  ExpectRejected("x{a=\"1\",b=\"2\"} 1\nx{b=\"2\",a=\"1\"} 2\n",
                 "duplicate series");
  ExpectRejected("x 1\nx 2\n", "duplicate series");
}

TEST(ExpositionParserTest, RejectsTypeAfterSamples) {
  ExpectRejected("x 1\n# TYPE x gauge\n", "after its samples");
}

TEST(ExpositionParserTest, RejectsSecondHelpOrTypeAndUnknownTypes) {
  ExpectRejected("# HELP x a\n# HELP x b\n", "second HELP");
  ExpectRejected("# TYPE x gauge\n# TYPE x gauge\n", "second TYPE");
  ExpectRejected("# TYPE x meter\n", "unknown type");
}

TEST(ExpositionParserTest, RejectsInterleavedFamilies) {
  ExpectRejected(
      "# TYPE x gauge\nx{a=\"1\"} 1\n# TYPE y gauge\ny 1\n"
      "x{a=\"2\"} 2\n",
      "interleaved");
  ExpectRejected("# HELP x help\n# TYPE y gauge\n# TYPE x gauge\n",
                 "interleaved");
}

TEST(ExpositionParserTest, RejectsNegativeCountersAndCounts) {
  ExpectRejected("# TYPE c counter\nc -1\n", "negative");
  ExpectRejected("# TYPE c counter\nc NaN\n", "negative or NaN");
  ExpectRejected("# TYPE h histogram\nh_bucket{le=\"+Inf\"} -1\n", "negative");
  // A histogram's sum may be negative (negative observations).
  EXPECT_TRUE(Parse("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\n"
                    "h_sum -2.5\nh_count 1\n")
                  .ok());
}

constexpr absl::string_view kHistogramHead = "# TYPE h histogram\n";

TEST(ExpositionParserTest, RejectsHistogramBucketsNotCumulative) {
  ExpectRejected(absl::StrCat(kHistogramHead,
                              "h_bucket{le=\"1\"} 5\nh_bucket{le=\"2\"} 3\n"
                              "h_bucket{le=\"+Inf\"} 5\nh_sum 1\nh_count 5\n"),
                 "not cumulative");
}

TEST(ExpositionParserTest, RejectsHistogramWithoutInfBucket) {
  ExpectRejected(absl::StrCat(kHistogramHead,
                              "h_bucket{le=\"1\"} 1\nh_bucket{le=\"2\"} 3\n"
                              "h_sum 1\nh_count 3\n"),
                 "+Inf");
}

TEST(ExpositionParserTest, RejectsHistogramLeNotSorted) {
  ExpectRejected(absl::StrCat(kHistogramHead,
                              "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
                              "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
                 "increasing order");
  ExpectRejected(absl::StrCat(kHistogramHead,
                              "h_bucket{le=\"1\"} 1\nh_bucket{le=\"1.0\"} 1\n"
                              "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
                 "increasing order");
}

TEST(ExpositionParserTest, RejectsHistogramCountOtherThanInfBucket) {
  ExpectRejected(absl::StrCat(kHistogramHead,
                              "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
                              "h_sum 1\nh_count 3\n"),
                 "differs from the +Inf bucket");
}

TEST(ExpositionParserTest, RejectsHistogramMissingSumCountOrLe) {
  ExpectRejected(
      absl::StrCat(kHistogramHead, "h_bucket{le=\"+Inf\"} 1\nh_count 1\n"),
      "no _sum");
  ExpectRejected(
      absl::StrCat(kHistogramHead, "h_bucket{le=\"+Inf\"} 1\nh_sum 1\n"),
      "no _count");
  ExpectRejected(absl::StrCat(kHistogramHead, "h_bucket 1\n"), "\"le\"");
  ExpectRejected(absl::StrCat(kHistogramHead, "h_sum{le=\"1\"} 1\n"), "\"le\"");
  ExpectRejected(absl::StrCat(kHistogramHead, "h 1\n"), "without _bucket");
  ExpectRejected(absl::StrCat(kHistogramHead, "h_bucket{le=\"x\"} 1\n"),
                 "bad le");
}

TEST(ExpositionParserTest, ChecksEachHistogramSeriesOnItsOwn) {
  EXPECT_TRUE(Parse(absl::StrCat(kHistogramHead,
                                 "h_bucket{m=\"a\",le=\"1\"} 1\n"
                                 "h_bucket{m=\"a\",le=\"+Inf\"} 1\n"
                                 "h_sum{m=\"a\"} 0.5\nh_count{m=\"a\"} 1\n"
                                 "h_bucket{m=\"b\",le=\"1\"} 0\n"
                                 "h_bucket{m=\"b\",le=\"+Inf\"} 2\n"
                                 "h_sum{m=\"b\"} 9\nh_count{m=\"b\"} 2\n"))
                  .ok());
  ExpectRejected(absl::StrCat(kHistogramHead,
                              "h_bucket{m=\"a\",le=\"+Inf\"} 1\n"
                              "h_sum{m=\"a\"} 0.5\nh_count{m=\"a\"} 1\n"
                              "h_bucket{m=\"b\",le=\"+Inf\"} 2\n"
                              "h_sum{m=\"b\"} 9\n"),
                 "h{m=b}: no _count");
}

}  // namespace
}  // namespace mdefleet::testing

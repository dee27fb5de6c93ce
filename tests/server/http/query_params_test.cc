// Query strings of the HTTP API: decoding, strictness, and the typed readers
// whose errors name the parameter.
#include "server/http/query_params.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::http {
namespace {

using ::testing::HasSubstr;

TEST(QueryParamsTest, DecodesFormEncoding) {
  auto params = QueryParams::Parse(
      "hostname=WEB%2A+01&label=site=paris&empty=&bare&&page_token=a%3D%3D");
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->Get("hostname"), "WEB* 01");
  EXPECT_EQ(params->Get("label"), "site=paris");
  EXPECT_EQ(params->Get("empty"), "");
  EXPECT_EQ(params->Get("bare"), "");
  EXPECT_EQ(params->Get("page_token"), "a==");
  EXPECT_EQ(params->Get("missing"), std::nullopt);
  EXPECT_TRUE(QueryParams::Parse("")->AllowOnly({}).ok());
  EXPECT_EQ(QueryParams::Parse("h=%C3%A9")->Get("h"), "\xC3\xA9");
}

TEST(QueryParamsTest, RefusesWhatIsNotOneWellFormedValuePerName) {
  const std::pair<const char*, const char*> cases[] = {
      {"state=a&state=b", "state: given more than once"},
      {"state=a&state=a", "state: given more than once"},
      {"=x", "query: a parameter without a name"},
      {"a=%4", "a: malformed percent-escape"},
      {"a=%zz", "a: malformed percent-escape"},
      {"a=%", "a: malformed percent-escape"},
      {"%=1", "query: malformed parameter name \"%\""},
      {"a=%FF", "a: not valid UTF-8"},
      {"a=%C0%AF", "a: not valid UTF-8"},        // overlong '/'
      {"a=%ED%A0%80", "a: not valid UTF-8"},     // a UTF-16 surrogate
      {"a=%F4%90%80%80", "a: not valid UTF-8"},  // past U+10FFFF
      {"a=%E2%82", "a: not valid UTF-8"},        // cut short
      {"a=x%00y", "a: control characters are not allowed"},
      {"a=%0A", "a: control characters are not allowed"},
      {"a%0A=1", "query: malformed parameter name"},
  };
  for (const auto& [query, message] : cases) {
    auto params = QueryParams::Parse(query);
    ASSERT_FALSE(params.ok()) << query;
    EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(params.status().message(), HasSubstr(message)) << query;
  }
}

TEST(QueryParamsTest, AllowOnlyNamesTheUnknownParameter) {
  auto params = QueryParams::Parse("state=running&colour=blue");
  ASSERT_TRUE(params.ok());
  EXPECT_TRUE(params->AllowOnly({"state", "colour"}).ok());
  EXPECT_EQ(params->AllowOnly({"state", "limit"}).message(),
            "unknown parameter \"colour\" (this route takes state, limit)");
  EXPECT_EQ(params->AllowOnly({}).message(),
            "unknown parameter \"colour\" (this route takes none)");
}

TEST(QuoteTest, EscapesAndCuts) {
  EXPECT_EQ(Quote("plain"), "plain");
  EXPECT_EQ(Quote("a\"b\n"), "a\\\"b\\n");
  EXPECT_EQ(Quote(std::string(100, 'x')), std::string(kMaxQuoted, 'x') + "...");
}

TEST(ParseDurationParamTest, HumanDurations) {
  EXPECT_EQ(ParseDurationParam("offline_for", "7d")->seconds(), 7 * 86400);
  EXPECT_EQ(ParseDurationParam("seen_within", "36h")->seconds(), 36 * 3600);
  EXPECT_EQ(ParseDurationParam("seen_within", "1h30m")->seconds(), 5400);
  EXPECT_THAT(ParseDurationParam("seen_within", "soon").status().message(),
              HasSubstr("seen_within \"soon\": expected a number"));
  EXPECT_THAT(ParseDurationParam("seen_within", std::string(80, '1'))
                  .status()
                  .message(),
              HasSubstr("seen_within: too long for a duration"));
}

TEST(ParseCountParamTest, FromOneToTheMaximum) {
  EXPECT_EQ(*ParseCountParam("page_size", "1", 5000), 1u);
  EXPECT_EQ(*ParseCountParam("page_size", "5000", 5000), 5000u);
  EXPECT_EQ(ParseCountParam("page_size", "5001", 5000).status().message(),
            "page_size: at most 5000");
  for (const char* bad : {"0", "", "-1", "+5", " 5", "5 ", "1e3", "0x10",
                          "99999999999", "12abc"}) {
    auto parsed = ParseCountParam("page_size", bad, 5000);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_THAT(parsed.status().message(),
                HasSubstr("page_size: expected a number from 1 to 5000"))
        << bad;
  }
}

}  // namespace
}  // namespace mdefleet::http

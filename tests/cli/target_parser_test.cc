#include "server/cli/target_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/cli/errors.h"

namespace mdefleet::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(ParseTargetsTest, All) {
  auto t = ParseTargets({"all"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->all());
  EXPECT_EQ(t->device_ids_size(), 0);
  EXPECT_TRUE(t->hostname_glob().empty());
  EXPECT_TRUE(ParseTargets({"ALL"})->all());
}

TEST(ParseTargetsTest, EachForm) {
  auto t =
      ParseTargets({"id:dev-1", "host:web-*", "label:site=tokyo", "os:2016"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->all());
  EXPECT_THAT(t->device_ids(), ElementsAre("dev-1"));
  EXPECT_EQ(t->hostname_glob(), "web-*");
  EXPECT_THAT(t->labels(), UnorderedElementsAre(Pair("site", "tokyo")));
  EXPECT_THAT(t->os_families(), ElementsAre(v1::OS_FAMILY_WS2016));
}

TEST(ParseTargetsTest, RepeatedIdsAndOsAccumulateWithoutDuplicates) {
  auto t = ParseTargets({"id:a", "id:b", "id:a", "os:ws2019", "os:2022",
                         "os:2019", "label:site=tokyo", "label:role=web"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->device_ids(), ElementsAre("a", "b"));
  EXPECT_THAT(t->os_families(),
              ElementsAre(v1::OS_FAMILY_WS2019, v1::OS_FAMILY_WS2022));
  EXPECT_THAT(t->labels(),
              UnorderedElementsAre(Pair("site", "tokyo"), Pair("role", "web")));
}

TEST(ParseTargetsTest, LabelsFollowTheLabelRuleAndGlobKeepsBrackets) {
  auto t = ParseTargets({"label: site = Paris DC 2", "host:SIM-2016-000[15]"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->labels(), UnorderedElementsAre(Pair("site", "Paris DC 2")));
  EXPECT_EQ(t->hostname_glob(), "SIM-2016-000[15]");
  // No device can carry such a value (common/labels.h): refused, not a
  // target that matches nothing.
  EXPECT_FALSE(ParseTargets({"label:note=a=b"}).ok());
}

TEST(ParseTargetsTest, BadFormsAreUsageErrorsNamingTarget) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                // nothing
      {"everything"},                    // no kind
      {"hostname:web"},                  // unknown kind
      {"id:"},                           // empty id
      {"host:"},                         // empty glob
      {"label:site"},                    // no '='
      {"label:=tokyo"},                  // empty key
      {"os:2008"},                       // unknown OS
      {"os:"},                           // empty OS
      {"host:a*", "host:b*"},            // two globs
      {"label:site=a", "label:site=b"},  // contradictory labels
  };
  for (const auto& targets : bad) {
    auto t = ParseTargets(targets);
    ASSERT_FALSE(t.ok()) << ::testing::PrintToString(targets);
    EXPECT_TRUE(IsUsageError(t.status())) << t.status();
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("--target"));
  }
}

TEST(ParseTargetsTest, ErrorQuotesTheBadValue) {
  auto t = ParseTargets({"all", "os:vista"});
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("\"os:vista\""));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("2012r2"));
}

TEST(ParseTargetsTest, SameGlobTwiceIsFine) {
  auto t = ParseTargets({"host:web-*", "host:web-*"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->hostname_glob(), "web-*");
}

TEST(DescribeTargetTest, JoinsCriteriaWithAnd) {
  auto t = ParseTargets(
      {"os:2016", "label:site=tokyo", "host:web-*", "all", "os:2019"});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(DescribeTarget(*t),
            "all AND host:web-* AND label:site=tokyo AND os:2016|2019");
  EXPECT_EQ(DescribeTarget(v1::TargetSelector()), "(nothing)");
}

}  // namespace
}  // namespace mdefleet::cli

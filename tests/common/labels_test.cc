#include "common/labels.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;

TEST(LabelsTest, KeysAndValuesFollowOneRule) {
  EXPECT_TRUE(CheckLabelKey("site").ok());
  EXPECT_TRUE(CheckLabelKey("k8s.io_zone-1").ok());
  EXPECT_FALSE(CheckLabelKey("").ok());
  EXPECT_FALSE(CheckLabelKey(std::string(64, 'k')).ok());
  EXPECT_FALSE(CheckLabelKey("a b").ok());
  EXPECT_FALSE(CheckLabelKey("a=b").ok());
  EXPECT_TRUE(CheckLabelValue("site", "Paris DC 2 (north)").ok());
  EXPECT_FALSE(CheckLabelValue("site", "").ok());
  EXPECT_FALSE(CheckLabelValue("site", std::string(129, 'v')).ok());
  EXPECT_FALSE(CheckLabelValue("site", "a,b").ok());
  EXPECT_FALSE(CheckLabelValue("site", "a\nb").ok());
  EXPECT_TRUE(CheckLabelValue("site", "Zürich 東京").ok());
  EXPECT_FALSE(CheckLabelValue("site", "a\x7f").ok());
  EXPECT_FALSE(CheckLabelValue("site", "a\u0085b").ok());
  EXPECT_FALSE(CheckLabelValue("site", "a\u2028b").ok());
  EXPECT_FALSE(CheckLabelValue("site", "paris\u202e").ok());
  EXPECT_FALSE(CheckLabelValue("site", "paris\u2066x\u2069").ok());
  EXPECT_FALSE(CheckLabelValue("site", "bad\xff").ok());
}

TEST(LabelsTest, ErrorsNameTheFieldButDoNotQuoteABadKey) {
  const std::map<std::string, std::string> good = {{"site", "paris"}};
  EXPECT_TRUE(CheckLabels(good, "labels").ok());
  const std::map<std::string, std::string> bad_value = {{"site", "paris"},
                                                        {"ou", "a=b"}};
  EXPECT_THAT(CheckLabels(bad_value, "facts.labels").message(),
              HasSubstr("facts.labels[ou]: label ou needs a value"));
  const std::map<std::string, std::string> bad_key = {{"site", "paris"},
                                                      {"\x1b[2Jforged", "x"}};
  const std::string message(CheckLabels(bad_key, "facts.labels").message());
  EXPECT_THAT(message, HasSubstr("facts.labels: a label key must be"));
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
  std::map<std::string, std::string> many;
  for (int i = 0; i < 33; ++i) many.emplace(absl::StrCat("k", i), "v");
  EXPECT_THAT(CheckLabels(many, "labels").message(),
              HasSubstr("labels: 33 labels, at most 32"));
}

TEST(LabelsTest, ParseLabelTrimsAndChecksBothSides) {
  absl::StatusOr<Label> label = ParseLabel(" site = Paris DC 2 ", "--label");
  ASSERT_TRUE(label.ok()) << label.status();
  EXPECT_EQ(label->key, "site");
  EXPECT_EQ(label->value, "Paris DC 2");
  EXPECT_EQ(ParseLabel("role", "--label").status().message(),
            "--label: expected key=value, got \"role\"");
  EXPECT_EQ(ParseLabel("role", "").status().message(),
            "expected key=value, got \"role\"");
  EXPECT_THAT(std::string(ParseLabel("=web", "label").status().message()),
              HasSubstr("label: a label key must be"));
  EXPECT_THAT(std::string(ParseLabel("site=", "label").status().message()),
              HasSubstr("label: label site needs a value"));
  EXPECT_THAT(std::string(ParseLabel("a b=c", "label").status().message()),
              HasSubstr("a label key must be"));
  EXPECT_FALSE(ParseLabel("site=a=b", "label").ok());
  EXPECT_FALSE(ParseLabel(std::string(64, 'k') + "=v", "label").ok());
  EXPECT_TRUE(ParseLabel(std::string(63, 'k') + "=v", "label").ok());
}

TEST(LabelsTest, ParseLabelDoesNotQuoteUnprintableText) {
  const std::string message(
      ParseLabel("\x1b[2Jforged", "label").status().message());
  EXPECT_EQ(message, "label: expected key=value, got 10 characters");
}

TEST(LabelsTest, ParseLabelListSkipsEmptyItemsAndRefusesRepeats) {
  absl::StatusOr<std::map<std::string, std::string>> labels =
      ParseLabelList("site=tokyo, role=web,,", "--labels");
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(*labels, (std::map<std::string, std::string>{{"role", "web"},
                                                         {"site", "tokyo"}}));
  EXPECT_TRUE(ParseLabelList("", "--labels")->empty());
  EXPECT_EQ(ParseLabelList("site=a,site=b", "--labels").status().message(),
            "--labels: label site is given twice");
  EXPECT_EQ(ParseLabelList("site=tokyo,role", "--labels").status().message(),
            "--labels: expected key=value, got \"role\"");
}

}  // namespace
}  // namespace mdefleet

// The dashboard (server/http/dashboard/inert.js) and mdefleetctl and the
// server log (common/inert_text.h) show device text the same way: both are
// checked against tests/data/inert_text_vectors.json, this side here and
// the JavaScript by tests/browser/inert_check.mjs (ctest dashboard_inert_js).
#include <fstream>
#include <sstream>
#include <string>

#include "common/inert_text.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

TEST(DashboardInertTest, TheCppRulesMatchTheSharedVectors) {
  std::ifstream in(std::string(MDEFLEET_SOURCE_DIR) +
                   "/tests/data/inert_text_vectors.json");
  ASSERT_TRUE(in.good());
  std::stringstream json;
  json << in.rdbuf();
  google::protobuf::Value vectors;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(json.str(), &vectors).ok());
  ASSERT_GT(vectors.list_value().values_size(), 10);
  for (const google::protobuf::Value& v : vectors.list_value().values()) {
    const auto& f = v.struct_value().fields();
    const std::string& input = f.at("in").string_value();
    EXPECT_EQ(InertText(input), f.at("line").string_value()) << input;
    EXPECT_EQ(InertText(input, InertLayout::kBlock),
              f.at("block").string_value())
        << input;
  }
}

}  // namespace
}  // namespace mdefleet

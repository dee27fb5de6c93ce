#include "server/service/fact_limits.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::service {
namespace {

using ::testing::HasSubstr;

absl::Status Check(const v1::DeviceFacts& facts) {
  return CheckDeviceFacts(facts, "facts");
}

TEST(FactLimitsTest, RealFactsPass) {
  v1::DeviceFacts facts = testing::MakeFacts("WEB-2019-01", "2019");
  (*facts.mutable_labels())["site"] = "paris";
  facts.mutable_cloud_connection()->set_message(
      "cannot reach the cloud:\r\n  0x80508015\tproxy");
  EXPECT_TRUE(Check(facts).ok()) << Check(facts);
  EXPECT_TRUE(Check(v1::DeviceFacts()).ok());
  // Non-Latin scripts are not control or formatting characters.
  v1::DeviceFacts intl = testing::MakeFacts("サーバー-東京-01", "2019");
  (*intl.mutable_labels())["site"] = "Zürich — Ωmega";
  EXPECT_TRUE(Check(intl).ok()) << Check(intl);
}

TEST(FactLimitsTest, EachBoundNamesTheField) {
  struct Case {
    const char* name;
    void (*mutate)(v1::DeviceFacts&);
    const char* expected;
  };
  const Case cases[] = {
      {"long hostname",
       [](v1::DeviceFacts& f) { f.set_hostname(std::string(256, 'a')); },
       "facts.hostname: 256 characters, at most 255"},
      {"long string",
       [](v1::DeviceFacts& f) { f.set_os_product(std::string(1025, 'a')); },
       "facts.os_product: 1025 characters, at most 1024"},
      {"nested string",
       [](v1::DeviceFacts& f) {
         f.mutable_proxy()->set_av_proxy(std::string(2000, 'p'));
       },
       "facts.proxy.av_proxy: 2000 characters"},
      {"free text",
       [](v1::DeviceFacts& f) {
         f.mutable_cloud_connection()->set_message(std::string(5000, 'm'));
       },
       "facts.cloud_connection.message: 5000 characters, at most 4096"},
      {"forged log line",
       [](v1::DeviceFacts& f) {
         f.set_hostname("WEB01\nenrolled device dev-0 ADMIN");
       },
       "facts.hostname: control and formatting characters are not allowed"},
      {"escape sequence",
       [](v1::DeviceFacts& f) { f.set_third_party_av("av\x1b[2J"); },
       "facts.third_party_av: control and formatting characters"},
      {"C1 control in the hostname",
       [](v1::DeviceFacts& f) { f.set_hostname("WEB01\u009b2J"); },
       "facts.hostname: control and formatting characters are not allowed "
       "(\\u009b (C1 control character) at byte 5)"},
      {"line separator in the hostname",
       [](v1::DeviceFacts& f) { f.set_hostname("WEB01\u2028forged"); },
       "facts.hostname: control and formatting characters are not allowed "
       "(\\u2028"},
      {"bidi override",
       [](v1::DeviceFacts& f) { f.set_domain("corp\u202elive"); },
       "facts.domain: control and formatting characters are not allowed "
       "(\\u202e (bidirectional formatting character)"},
      {"bidi isolate in free text",
       [](v1::DeviceFacts& f) {
         f.mutable_cloud_connection()->set_message("ok\n\u2067x\u2069");
       },
       "facts.cloud_connection.message: control and formatting characters"},
      {"escape in free text",
       [](v1::DeviceFacts& f) {
         f.mutable_cloud_connection()->set_message("ok\n\x1b]0;x\x07");
       },
       "facts.cloud_connection.message: control and formatting characters"},
      {"nested bidi mark",
       [](v1::DeviceFacts& f) {
         f.mutable_proxy()->set_av_proxy("http://p\u200f:8080");
       },
       "facts.proxy.av_proxy: control and formatting characters"},
      {"repeated C1",
       [](v1::DeviceFacts& f) { f.add_mma_workspaces("w\u0085"); },
       "facts.mma_workspaces[0]: control and formatting characters"},
      {"bidi label value",
       [](v1::DeviceFacts& f) {
         (*f.mutable_labels())["site"] = "paris\u202e";
       },
       "facts.labels[site]: label site needs a value of 1-128"},
      {"C1 label value",
       [](v1::DeviceFacts& f) { (*f.mutable_labels())["site"] = "\u0085"; },
       "facts.labels[site]: label site needs a value"},
      {"too many entries",
       [](v1::DeviceFacts& f) {
         for (int i = 0; i < 17; ++i) f.add_mma_workspaces("w");
       },
       "facts.mma_workspaces: 17 entries, at most 16"},
      {"bad entry",
       [](v1::DeviceFacts& f) {
         f.add_mma_workspaces("ok");
         f.add_mma_workspaces(std::string(1025, 'w'));
       },
       "facts.mma_workspaces[1]: 1025 characters"},
      {"too many labels",
       [](v1::DeviceFacts& f) {
         f.clear_labels();
         for (int i = 0; i < 33; ++i)
           (*f.mutable_labels())[absl::StrCat("k", i)] = "v";
       },
       "facts.labels: 33 labels, at most 32"},
      {"long label value",
       [](v1::DeviceFacts& f) {
         (*f.mutable_labels())["site"] = std::string(129, 'v');
       },
       "facts.labels[site]: label site needs a value of 1-128"},
      {"bad label key",
       [](v1::DeviceFacts& f) { (*f.mutable_labels())["a b"] = "v"; },
       "facts.labels: a label key must be 1-63 characters"},
  };
  for (const Case& c : cases) {
    v1::DeviceFacts facts = testing::MakeFacts("WEB-2019-01", "2019");
    c.mutate(facts);
    absl::Status status = Check(facts);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(status.message(), HasSubstr(c.expected)) << c.name;
  }
}

}  // namespace
}  // namespace mdefleet::service

namespace mdefleet::service {
namespace {

// Oversized facts are refused where they enter, before anything is stored.
TEST(FactLimitsTest, EnrollAndPollRefuseOversizedFactsAndChangeNothing) {
  testing::TestEnv env;
  testing::EnrolledDevice device =
      env.Enroll(testing::MakeFacts("WEB-2019-01", "2019"));
  const std::string before = env.Snapshot();

  v1::EnrollRequest enroll;
  *enroll.mutable_facts() = testing::MakeFacts("WEB-2019-02", "2019");
  (*enroll.mutable_facts()->mutable_labels())["site"] = std::string(500, 's');
  absl::StatusOr<v1::EnrollResponse> enrolled =
      env.runner().Enroll(env.enroll_bearer(), enroll);
  EXPECT_EQ(enrolled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(enrolled.status().message(), HasSubstr("facts.labels[site]"));

  v1::PollTasksRequest poll;
  *poll.mutable_facts() = testing::MakeFacts("WEB-2019-01", "2019");
  poll.mutable_facts()->set_os_product(std::string(100000, 'x'));
  absl::StatusOr<v1::PollTasksResponse> polled =
      env.runner().PollOnce(device.id, poll);
  EXPECT_EQ(polled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(polled.status().message(), HasSubstr("facts.os_product"));
  EXPECT_EQ(env.Snapshot(), before);
}

}  // namespace
}  // namespace mdefleet::service

// The Defender API client and token source against the fake API: request
// shapes, token caching, and how each answer is interpreted.
#include "server/defender/defender_api.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/defender/curl_http_client.h"
#include "server/defender/defender_config.h"
#include "server/defender/token_source.h"
#include "tests/server/defender/fake_defender_api.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kMachine[] = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";

class DefenderApiTest : public ::testing::Test {
 protected:
  void Start(FakeDefenderOptions options = {}) {
    fake_ = std::make_unique<FakeDefenderApi>(options, clock_);
    auto url = fake_->Start();
    ASSERT_TRUE(url.ok());
    config_.api_url = config_.login_url = *url;
    config_.tenant_id = options.tenant_id;
    config_.client_id = options.client_id;
    if (config_.client_secret.empty()) {
      config_.client_secret = options.client_secret;
    }
    tokens_ = std::make_unique<defender::TokenSource>(http_, clock_, config_);
    api_ = std::make_unique<defender::DefenderApi>(http_, *tokens_,
                                                   config_.api_url);
  }

  FakeClock clock_{TestEpoch()};
  defender::CurlHttpClient http_;
  defender::DefenderConfig config_;
  std::unique_ptr<FakeDefenderApi> fake_;
  std::unique_ptr<defender::TokenSource> tokens_;
  std::unique_ptr<defender::DefenderApi> api_;
};

TEST_F(DefenderApiTest, OffboardReturnsThePendingMachineAction) {
  Start();
  auto action = api_->Offboard(kMachine, "retired");
  ASSERT_TRUE(action.ok()) << action.status();
  EXPECT_EQ(action->status, "Pending");
  EXPECT_EQ(action->machine_id, kMachine);
  EXPECT_EQ(action->created, TestEpoch());
  EXPECT_THAT(fake_->errors(), ::testing::IsEmpty());
  clock_.Advance(absl::Seconds(5));
  auto listed = api_->ListOffboardActions(TestEpoch() - absl::Minutes(1));
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, action->id);
  EXPECT_EQ((*listed)[0].status, "Succeeded");
}

TEST_F(DefenderApiTest, TokensAreCachedUntilShortlyBeforeTheyExpire) {
  Start();
  ASSERT_TRUE(tokens_->Token().ok());
  clock_.Advance(absl::Minutes(54));
  ASSERT_TRUE(tokens_->Token().ok());
  EXPECT_EQ(fake_->token_requests(), 1);
  clock_.Advance(absl::Minutes(2));  // within 5 minutes of expiry
  ASSERT_TRUE(tokens_->Token().ok());
  EXPECT_EQ(fake_->token_requests(), 2);
}

TEST_F(DefenderApiTest, ASecondRequestWhilePendingIsAlreadyExists) {
  Start();
  ASSERT_TRUE(api_->Offboard(kMachine, "retired").ok());
  auto again = api_->Offboard(kMachine, "retired");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(DefenderApiTest, ThrottlingCarriesRetryAfter) {
  FakeDefenderOptions options;
  options.scheduled = {{1, 429}, {2, 503}};
  options.retry_after_seconds = 13;
  Start(options);
  auto first = api_->Offboard(kMachine, "retired");
  EXPECT_EQ(first.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(defender::RetryAfterOf(first.status()), absl::Seconds(13));
  auto second = api_->Offboard(kMachine, "retired");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(defender::NoAnswer(second.status()));
  EXPECT_THAT(second.status().message(), HasSubstr("503"));
}

TEST_F(DefenderApiTest, NoAnswerIsMarked) {
  Start();
  fake_->Stop();
  auto r = api_->ListOffboardActions(TestEpoch());
  // The token endpoint is the same server here, so the token fails first.
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(DefenderApiTest, WrongSecretIsUnauthenticatedAndRedacted) {
  config_.client_secret = "wrong~Secret.value-1234567890";
  Start();
  auto r = api_->Offboard(kMachine, "retired");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(
      r.status().message(),
      AllOf(HasSubstr("AADSTS7000215"), Not(HasSubstr(config_.client_secret))));
  EXPECT_EQ(tokens_->Redact("x wrong~Secret.value-1234567890 y"),
            "x [redacted] y");
}

// GET /api/machines/{id} as the API documents it (lastSeen with 7 fraction
// digits); a body without an id is refused.
TEST(ParseMachineTest, ReadsHealthStatusAndLastSeen) {
  auto m = defender::ParseMachine(
      R"({"id":"1e5bc9d7e413ddd7902c2932e418702b84d0cc07",)"
      R"("computerDnsName":"srv-01.contoso.local","healthStatus":"Active",)"
      R"("onboardingStatus":"Onboarded",)"
      R"("lastSeen":"2026-12-06T01:22:31.7791856Z"})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->computer_dns_name, "srv-01.contoso.local");
  EXPECT_EQ(m->health_status, "Active");
  EXPECT_EQ(m->onboarding_status, "Onboarded");
  EXPECT_EQ(absl::ToUnixSeconds(m->last_seen), 1796520151);
  EXPECT_FALSE(defender::ParseMachine(R"({"healthStatus":"Active"})").ok());
  EXPECT_FALSE(defender::ParseMachine("not json").ok());
}

TEST(DefenderConfigTest, NothingConfiguredLeavesApiOffboardOff) {
  auto c = defender::LoadDefenderConfig(defender::kDefaultApiUrl,
                                        defender::kDefaultLoginUrl, "", "", "",
                                        absl::Seconds(30));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->configured());
}

TEST(DefenderConfigTest, PartialOrBadFlagsNameTheFlag) {
  auto missing = defender::LoadDefenderConfig(
      defender::kDefaultApiUrl, defender::kDefaultLoginUrl,
      "11111111-2222-3333-4444-555555555555", "", "/nonexistent",
      absl::Seconds(30));
  EXPECT_THAT(missing.status().message(), HasSubstr("--defender-client-id"));
  auto plain_http = defender::LoadDefenderConfig(
      "http://api.example.com", defender::kDefaultLoginUrl,
      "11111111-2222-3333-4444-555555555555",
      "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "/nonexistent",
      absl::Seconds(30));
  EXPECT_THAT(plain_http.status().message(), HasSubstr("--defender-api-url"));
  auto no_file = defender::LoadDefenderConfig(
      defender::kDefaultApiUrl, defender::kDefaultLoginUrl,
      "11111111-2222-3333-4444-555555555555",
      "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "/nonexistent/secret",
      absl::Seconds(30));
  EXPECT_THAT(no_file.status().message(),
              HasSubstr("--defender-client-secret-file: cannot read"));
}

}  // namespace
}  // namespace mdefleet::testing

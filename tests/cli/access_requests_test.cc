// `tokens create` and `enroll-secrets create` flags turned into requests:
// no --expires-in means no expiry (the field stays unset), usage errors name
// the flag.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/cli/access_cmd.h"

namespace mdefleet::cli {
namespace {

using ::testing::HasSubstr;

TEST(AccessRequestsTest, WithoutExpiresInTheCredentialNeverExpires) {
  auto token = BuildCreateTokenRequest({.name = "dashboard",
                                        .role = "viewer",
                                        .expires_in = ""});
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_FALSE(token->has_expires_in());
  EXPECT_EQ(token->role(), v1::ROLE_VIEWER);
  auto secret = BuildCreateSecretRequest(
      {.name = "paris", .labels = {"site=paris"}, .expires_in = ""});
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_FALSE(secret->has_expires_in());
  EXPECT_EQ(secret->labels().at("site"), "paris");
}

TEST(AccessRequestsTest, ExpiresInIsSentAsADuration) {
  auto token = BuildCreateTokenRequest(
      {.name = "ci", .role = "operator", .expires_in = "90d"});
  ASSERT_TRUE(token.ok()) << token.status();
  ASSERT_TRUE(token->has_expires_in());
  EXPECT_EQ(token->expires_in().seconds(), 90 * 86400);
  auto secret = BuildCreateSecretRequest(
      {.name = "wave-1", .labels = {}, .expires_in = "12h"});
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->expires_in().seconds(), 12 * 3600);
}

TEST(AccessRequestsTest, UsageErrorsNameTheFlag) {
  EXPECT_THAT(BuildCreateTokenRequest(
                  {.name = "x", .role = "root", .expires_in = ""})
                  .status()
                  .message(),
              HasSubstr("--role"));
  EXPECT_THAT(BuildCreateTokenRequest(
                  {.name = "x", .role = "viewer", .expires_in = "0s"})
                  .status()
                  .message(),
              HasSubstr("--expires-in"));
  EXPECT_THAT(BuildCreateSecretRequest(
                  {.name = "x", .labels = {"site"}, .expires_in = ""})
                  .status()
                  .message(),
              HasSubstr("--label"));
}

}  // namespace
}  // namespace mdefleet::cli

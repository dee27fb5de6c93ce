// What serve puts right before it answers (server/serve/startup_recovery.h),
// on a store alone. The lease part: LeaseTest's restart test.
#include "server/serve/startup_recovery.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/settings.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kRecoveryWorkspace[] = "0a1b2c3d-0000-4000-8000-00000000abcd";

class StartupRecoveryTest : public ::testing::Test {
 protected:
  absl::StatusOr<serve::StartupRecovery> Recover(
      const serve::StartupRecoveryOptions& options) {
    return serve::RecoverAtStartup(env_.store(), env_.clock(), options);
  }
  TestEnv env_;
};

TEST_F(StartupRecoveryTest, AFreshStoreHasNothingToRecover) {
  const serve::StartupRecoveryOptions options;
  absl::StatusOr<serve::StartupRecovery> recovery = Recover(options);
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->extended_leases, 0);
  EXPECT_EQ(recovery->skipped_confirmations, 0);
  EXPECT_FALSE(recovery->workspaces.changed());
  EXPECT_THAT(serve::DescribeRecovery(*recovery, options),
              ElementsAre(HasSubstr("workspace(s): not configured")));
}

TEST_F(StartupRecoveryTest, WorkspaceIdsAreStoredOnceAndKeptAfter) {
  serve::StartupRecoveryOptions options;
  options.mde_workspace_ids = std::vector<std::string>{kRecoveryWorkspace};
  absl::StatusOr<serve::StartupRecovery> first = Recover(options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->workspaces.changed());
  EXPECT_THAT(
      serve::DescribeRecovery(*first, options),
      Contains(HasSubstr(absl::StrCat(kRecoveryWorkspace, " (changed"))));
  // A restart without the flag keeps them.
  absl::StatusOr<serve::StartupRecovery> again = Recover({});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->workspaces.changed());
  EXPECT_THAT(again->workspaces.after, ElementsAre(kRecoveryWorkspace));
}

TEST_F(StartupRecoveryTest, TheConfirmTimeoutFollowsTheDefenderCredentials) {
  auto timeout = [&]() -> absl::Duration {
    absl::Duration d = absl::InfiniteDuration();
    EXPECT_TRUE(env_.store()
                    .Read([&](store::Connection& db) -> absl::Status {
                      absl::StatusOr<absl::Duration> t =
                          store::GetDefenderConfirmTimeout(db);
                      if (!t.ok()) return t.status();
                      d = *t;
                      return absl::OkStatus();
                    })
                    .ok());
    return d;
  };
  serve::StartupRecoveryOptions options;
  options.defender_configured = true;
  options.defender_confirm_timeout = absl::Minutes(45);
  ASSERT_TRUE(Recover(options).ok());
  EXPECT_EQ(timeout(), absl::Minutes(45));
  options.defender_configured = false;
  ASSERT_TRUE(Recover(options).ok());
  EXPECT_EQ(timeout(), absl::ZeroDuration());
}

}  // namespace
}  // namespace mdefleet::testing

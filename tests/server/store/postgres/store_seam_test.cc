// The store's code runs on either backend through connection.h: the server
// settings (store/settings.h), whose SQL both dialects take, read and
// written on each.
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/store/settings.h"
#include "tests/server/store/postgres/both_backends.h"

namespace mdefleet::testing {
namespace {

class SettingsOnBothTest : public BothBackendsTest {};

TEST_P(SettingsOnBothTest, SettingsAreWrittenAndReadThroughTheSameCode) {
  EXPECT_EQ(db().dialect(), GetParam());
  auto unset = store::GetDefenderConfirmTimeout(db());
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_EQ(*unset, absl::ZeroDuration());
  ASSERT_TRUE(
      store::SetDefenderConfirmTimeout(db(), absl::Minutes(30), 1000).ok());
  // The upsert (ON CONFLICT ... DO UPDATE) replaces it.
  ASSERT_TRUE(
      store::SetDefenderConfirmTimeout(db(), absl::Minutes(45), 2000).ok());
  auto set = store::GetDefenderConfirmTimeout(db());
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(*set, absl::Minutes(45));
  auto ids = store::GetMdeWorkspaceIds(db());
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_TRUE(ids->empty());
}

MDEFLEET_ON_BOTH_BACKENDS(SettingsOnBothTest);

}  // namespace
}  // namespace mdefleet::testing

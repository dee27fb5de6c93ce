// The connection budget (server/service/connection_budget.h) and the open
// files helpers it samples.
#include "server/service/connection_budget.h"

#include <atomic>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/service/open_files.h"

namespace mdefleet::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ConnectionBudgetTest, RefusesFromTheLimitAndSaysWhenToRetry) {
  std::atomic<int> open{10};
  std::vector<bool> changes;
  ConnectionBudget budget(
      100, absl::Seconds(10), [&] { return open.load(); },
      [&](bool saturated) { changes.push_back(saturated); });
  budget.Sample();
  EXPECT_TRUE(budget.Admit().ok());
  open = 100;
  budget.Sample();
  absl::Status refused = budget.Admit();
  EXPECT_TRUE(absl::IsResourceExhausted(refused));
  EXPECT_EQ(refused.message(),
            "server at its connection limit (100 descriptors open, "
            "--max-connections 100); retry in 10s");
  budget.Sample();  // no second change while still saturated
  open = 99;
  budget.Sample();
  EXPECT_TRUE(budget.Admit().ok());
  EXPECT_THAT(changes, ElementsAre(true, false));
}

TEST(ConnectionBudgetTest, AnUnknownCountNeverRefuses) {
  ConnectionBudget budget(1, absl::Seconds(1), [] { return -1; });
  budget.Sample();
  EXPECT_TRUE(budget.Admit().ok());
}

TEST(ConnectionBudgetTest, AutoLimitKeepsAReserve) {
  EXPECT_EQ(AutoMaxOpenDescriptors(20000), 18976);
  EXPECT_EQ(AutoMaxOpenDescriptors(1024), 768);
  EXPECT_EQ(AutoMaxOpenDescriptors(96), 72);
}

TEST(OpenFilesTest, RaisesToTheHardLimitAndCounts) {
  auto limit = RaiseOpenFilesLimit();
  ASSERT_TRUE(limit.ok()) << limit.status();
  EXPECT_EQ(limit->soft, limit->hard);
  auto before = CountOpenFiles();
  ASSERT_TRUE(before.ok()) << before.status();
  FILE* f = std::fopen("/dev/null", "r");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*CountOpenFiles(), *before + 1);
  std::fclose(f);
}

}  // namespace
}  // namespace mdefleet::service

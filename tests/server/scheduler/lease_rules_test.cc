// Lease timing and the fleet cap.
#include "server/scheduler/lease_rules.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mdefleet::testing {
namespace {

using scheduler::RenewedLeaseExpiry;
using scheduler::TaskTimeoutReached;

constexpr int64_t kLeaseMinute = 60'000'000;

TEST(LeaseRulesTest, ARenewedLeaseNeverOutlivesTheTaskTimeout) {
  const int64_t now = 100 * kLeaseMinute;
  EXPECT_EQ(RenewedLeaseExpiry(now, absl::Minutes(5), now - kLeaseMinute, 0),
            now + 5 * kLeaseMinute)
      << "no timeout";
  EXPECT_EQ(RenewedLeaseExpiry(now, absl::Minutes(5), now - kLeaseMinute,
                               30 * kLeaseMinute),
            now + 5 * kLeaseMinute);
  EXPECT_EQ(RenewedLeaseExpiry(now, absl::Minutes(5), now - 28 * kLeaseMinute,
                               30 * kLeaseMinute),
            now + 2 * kLeaseMinute);
}

TEST(LeaseRulesTest, TheTaskTimeoutIsReachedAtItsEnd) {
  EXPECT_FALSE(TaskTimeoutReached(10 * kLeaseMinute, 0, 0));
  EXPECT_FALSE(TaskTimeoutReached(10 * kLeaseMinute - 1, 0, 10 * kLeaseMinute));
  EXPECT_TRUE(TaskTimeoutReached(10 * kLeaseMinute, 0, 10 * kLeaseMinute));
}

TEST(LeaseRulesTest, TheFleetCapLeavesRoomBelowIt) {
  EXPECT_TRUE(scheduler::FleetHasRoom(1'000'000, 0)) << "0: no cap";
  EXPECT_TRUE(scheduler::FleetHasRoom(1, 2));
  EXPECT_FALSE(scheduler::FleetHasRoom(2, 2));
}

TEST(LeaseRulesTest, RebootStepWindowsNeverHoldATaskBack) {
  v1::RolloutPolicy policy;
  policy.add_maintenance_windows()->set_spec("daily 01:00-02:00");
  v1::DeviceFacts facts;
  const int64_t noon = absl::ToUnixMicros(absl::FromUnixSeconds(12 * 3600));
  EXPECT_TRUE(scheduler::MayStartInMaintenanceWindow(policy, facts, noon));
  policy.set_maintenance_scope(v1::MAINTENANCE_SCOPE_WHOLE_TASK);
  EXPECT_FALSE(scheduler::MayStartInMaintenanceWindow(policy, facts, noon));
  EXPECT_TRUE(scheduler::MayStartInMaintenanceWindow(
      policy, facts, noon - 11 * 60 * kLeaseMinute));  // 01:00
}

}  // namespace
}  // namespace mdefleet::testing

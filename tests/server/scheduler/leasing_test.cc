// Leasing decided over an in-memory store: re-delivery, the fleet cap,
// maintenance windows, plans the device cannot run, and the new lease.
#include "server/scheduler/leasing.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/server/scheduler/fake_lease_store.h"

namespace mdefleet::testing {
namespace {

constexpr char kDevice[] = "dev-1";
const absl::Duration kLease = absl::Minutes(5);

// Monday 2026-12-07 12:00 UTC, in microseconds.
int64_t Noon() {
  return absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(2026, 12, 7, 12), absl::UTCTimeZone()));
}

v1::DeviceFacts Ws2019() {
  v1::DeviceFacts facts;
  facts.set_os_family(v1::OS_FAMILY_WS2019);
  return facts;
}

scheduler::QueuedTask Queued(const std::string& id, const std::string& kind) {
  scheduler::QueuedTask t;
  t.task_id = id;
  t.job_id = "job-" + id;
  t.attempt = 1;
  t.spec.set_kind(kind);
  t.job_state = v1::JOB_STATE_RUNNING;
  t.wave = 1;
  return t;
}

FakeLeaseStore::Held HeldBy(const std::string& device, const std::string& id,
                            int64_t expires_at) {
  FakeLeaseStore::Held h;
  h.device_id = device;
  h.expires_at = expires_at;
  h.task.task_id = id;
  h.task.job_id = "job-" + id;
  h.task.attempt = 2;
  h.task.lease_id = "lease-" + id;
  h.task.kind = "health_check";
  h.task.job_state = v1::JOB_STATE_RUNNING;
  h.task.task_state = v1::TASK_STATE_RUNNING;
  h.task.plan.add_steps()->set_name("check_sense_running");
  return h;
}

scheduler::LeaseLimits Limits(int64_t cap = 0) {
  scheduler::LeaseLimits limits;
  limits.server_lease = kLease;
  limits.max_tasks_in_flight = cap;
  return limits;
}

TEST(LeasingTest, NothingQueuedIsNoWork) {
  FakeLeaseStore store;
  auto task =
      scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(), Limits());
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_FALSE(task->has_value());
  auto any = scheduler::HasLeasableTask(store, kDevice, Ws2019(), Noon(), 0);
  ASSERT_TRUE(any.ok());
  EXPECT_FALSE(*any);
  EXPECT_TRUE(store.leased.empty());
}

TEST(LeasingTest, LeasesTheFirstQueuedTaskWithItsPlanAndAFreshLease) {
  FakeLeaseStore store;
  store.queued.push_back({"other-device", Queued("t0", "health_check")});
  store.queued.push_back({kDevice, Queued("t1", "health_check")});
  store.queued.push_back({kDevice, Queued("t2", "health_check")});
  auto any = scheduler::HasLeasableTask(store, kDevice, Ws2019(), Noon(), 0);
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(*any);

  auto task =
      scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(), Limits());
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE(task->has_value());
  const v1::LeasedTask& leased = **task;
  EXPECT_EQ(leased.task_id(), "t1");
  EXPECT_EQ(leased.job_id(), "job-t1");
  EXPECT_EQ(leased.kind(), "health_check");
  EXPECT_EQ(leased.lease_id().size(), 32u);  // 16 random bytes, hex
  EXPECT_GT(leased.plan().steps_size(), 0);
  EXPECT_EQ(leased.lease_duration().seconds(), 300);

  ASSERT_EQ(store.leased.size(), 1u);
  EXPECT_EQ(store.leased[0].first, "t1");
  const scheduler::NewLease& lease = store.leased[0].second;
  EXPECT_EQ(lease.lease_id, leased.lease_id());
  EXPECT_EQ(lease.now, Noon());
  EXPECT_EQ(lease.expires_at, Noon() + absl::ToInt64Microseconds(kLease));
  EXPECT_EQ(lease.plan.steps_size(), leased.plan().steps_size());
}

TEST(LeasingTest, ANewLeaseEndsNoLaterThanTheTaskTimeout) {
  FakeLeaseStore store;
  scheduler::QueuedTask t = Queued("t1", "health_check");
  t.task_timeout_micros = absl::ToInt64Microseconds(absl::Minutes(2));
  store.queued.push_back({kDevice, t});
  auto task =
      scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(), Limits());
  ASSERT_TRUE(task.ok() && task->has_value());
  EXPECT_EQ(store.leased[0].second.expires_at,
            Noon() + absl::ToInt64Microseconds(absl::Minutes(2)));
}

TEST(LeasingTest, ATaskTheDeviceCannotRunEndsFailedAndTheNextIsLeased) {
  FakeLeaseStore store;
  store.queued.push_back({kDevice, Queued("t1", "no_such_kind")});
  store.queued.push_back({kDevice, Queued("t2", "health_check")});
  auto task =
      scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(), Limits());
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE(task->has_value());
  EXPECT_EQ((*task)->task_id(), "t2");
  ASSERT_EQ(store.failed.count("t1"), 1u);
  EXPECT_NE(store.failed["t1"].find("no_such_kind"), std::string::npos)
      << store.failed["t1"];
}

TEST(LeasingTest, RedeliversAHeldLeaseRenewedAndNeverPastTheTaskTimeout) {
  FakeLeaseStore store;
  FakeLeaseStore::Held held = HeldBy(kDevice, "t1", Noon() + 1);
  held.task.started_at = Noon() - absl::ToInt64Microseconds(absl::Minutes(9));
  held.task.task_timeout_micros = absl::ToInt64Microseconds(absl::Minutes(10));
  store.held.push_back(held);
  store.policies["job-t1"].add_maintenance_windows()->set_spec(
      "daily 01:00-02:00");
  store.queued.push_back({kDevice, Queued("t2", "health_check")});

  auto task =
      scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(), Limits());
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE(task->has_value());
  EXPECT_EQ((*task)->task_id(), "t1");
  EXPECT_EQ((*task)->lease_id(), "lease-t1");
  EXPECT_EQ((*task)->attempt(), 2u);
  ASSERT_EQ((*task)->maintenance_windows_size(), 1);
  EXPECT_EQ((*task)->maintenance_windows(0).spec(), "daily 01:00-02:00");
  // 9 of the 10 minutes are used: the renewed lease ends with the timeout.
  EXPECT_EQ(store.renewed["t1"],
            Noon() + absl::ToInt64Microseconds(absl::Minutes(1)));
  EXPECT_TRUE(store.leased.empty()) << "nothing new while one is held";
}

TEST(LeasingTest, AHeldTaskOfACancelledJobEndsAndTheNextHeldIsRedelivered) {
  FakeLeaseStore store;
  FakeLeaseStore::Held cancelled = HeldBy(kDevice, "t1", Noon() + 1);
  cancelled.task.job_state = v1::JOB_STATE_CANCELLED;
  store.held.push_back(cancelled);
  store.held.push_back(HeldBy(kDevice, "t2", Noon() + 1));
  auto task =
      scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(), Limits());
  ASSERT_TRUE(task.ok() && task->has_value());
  EXPECT_EQ((*task)->task_id(), "t2");
  EXPECT_EQ(store.cancelled, std::vector<std::string>{"t1"});
  EXPECT_EQ(store.renewed.count("t1"), 0u);
}

TEST(LeasingTest, AnExpiredLeaseIsNotRedelivered) {
  FakeLeaseStore store;
  store.held.push_back(HeldBy(kDevice, "t1", Noon()));  // expires now
  auto any = scheduler::HasLeasableTask(store, kDevice, Ws2019(), Noon(), 0);
  ASSERT_TRUE(any.ok());
  EXPECT_FALSE(*any);
}

TEST(LeasingTest, TheFleetCapStopsNewLeasesButNotRedelivery) {
  FakeLeaseStore store;
  store.in_flight = 2;
  store.queued.push_back({kDevice, Queued("t1", "health_check")});
  auto any = scheduler::HasLeasableTask(store, kDevice, Ws2019(), Noon(), 2);
  ASSERT_TRUE(any.ok());
  EXPECT_FALSE(*any);
  EXPECT_EQ(store.reads_of_queued, 0) << "the cap is read first";
  auto none = scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(),
                                            Limits(2));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  store.held.push_back(HeldBy(kDevice, "t0", Noon() + 1));
  auto held = scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(),
                                            Limits(2));
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_EQ((*held)->task_id(), "t0");

  store.held.clear();
  store.in_flight = 1;
  auto room = scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(),
                                            Limits(2));
  ASSERT_TRUE(room.ok() && room->has_value());
  EXPECT_EQ((*room)->task_id(), "t1");
}

TEST(LeasingTest, AClosedWholeTaskWindowInTheDevicesLocalTimeHoldsTheTask) {
  FakeLeaseStore store;
  scheduler::QueuedTask windowed = Queued("t1", "health_check");
  // 01:00-02:00 local: closed at 12:00 UTC for a UTC device, open for one at
  // UTC-11:00 (01:00 there).
  windowed.spec.mutable_policy()->add_maintenance_windows()->set_spec(
      "daily 01:00-02:00");
  windowed.spec.mutable_policy()->set_maintenance_scope(
      v1::MAINTENANCE_SCOPE_WHOLE_TASK);
  store.queued.push_back({kDevice, windowed});
  store.queued.push_back({kDevice, Queued("t2", "health_check")});

  auto task =
      scheduler::LeaseTaskForDevice(store, kDevice, Ws2019(), Noon(), Limits());
  ASSERT_TRUE(task.ok() && task->has_value());
  EXPECT_EQ((*task)->task_id(), "t2");

  v1::DeviceFacts far_west = Ws2019();
  far_west.set_utc_offset_minutes(-11 * 60);
  auto open =
      scheduler::LeaseTaskForDevice(store, kDevice, far_west, Noon(), Limits());
  ASSERT_TRUE(open.ok() && open->has_value());
  EXPECT_EQ((*open)->task_id(), "t1");
  ASSERT_EQ((*open)->maintenance_windows_size(), 1);
}

}  // namespace
}  // namespace mdefleet::testing

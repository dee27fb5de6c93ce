// Leases while steps run: heartbeats keep a slow step's lease until the job's
// task timeout, a silent runner loses it after the server's lease duration,
// heartbeats of another lease or device are refused, and a server restart
// gives tasks in flight a fresh lease.
#include "gmock/gmock.h"
#include "server/serve/startup_recovery.h"
#include "server/store/lease_expiry.h"
#include "server/store/time_util.h"
#include "tests/server/rollout_fixture.h"

namespace mdefleet::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

using LeaseTest = RolloutTest;

TEST_F(LeaseTest, HeartbeatsKeepALeaseAliveUntilTheTaskTimeout) {
  Fleet(1);
  v1::RolloutPolicy policy;
  *policy.mutable_task_timeout() = ProtoMinutes(30);
  const std::string job_id = Submit(policy);
  auto lease = Lease(devices_[0]);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->lease_duration().seconds(), 10 * 60) << "the server's";
  ASSERT_TRUE(env_.runner()
                  .ReportStep(devices_[0].bearer,
                              Report(*lease, 0, v1::STEP_STATE_RUNNING))
                  .ok());
  // A 25-minute step, heartbeating every 5 minutes: past the server's
  // 10-minute lease, the lease holds.
  for (int i = 0; i < 5; ++i) {
    env_.clock().Advance(absl::Minutes(5));
    auto beat = Heartbeat(devices_[0], *lease);
    ASSERT_TRUE(beat.ok()) << beat.status();
    EXPECT_FALSE(beat->cancel());
    EXPECT_EQ(*env_.reaper().RunOnce(), 0);
  }
  // The renewed lease never reaches past the task timeout (30 m from lease).
  auto beat = Heartbeat(devices_[0], *lease);
  ASSERT_TRUE(beat.ok());
  EXPECT_EQ(beat->lease_remaining().seconds(), 5 * 60);
  env_.clock().Advance(absl::Minutes(5) + absl::Seconds(1));
  EXPECT_EQ(*env_.reaper().RunOnce(), 1);
  v1::Task task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(task.message(), std::string(store::kTaskTimeoutMessage) + " (30m)");
  auto late = Heartbeat(devices_[0], *lease);
  EXPECT_TRUE(absl::IsFailedPrecondition(late.status())) << late.status();
  EXPECT_THAT(late.status().message(), HasSubstr("already ended (timed_out)"));
}

TEST_F(LeaseTest, ASilentRunnerLosesItsLeaseAfterTheServersLeaseDuration) {
  Fleet(1);
  v1::RolloutPolicy policy;
  *policy.mutable_task_timeout() = ProtoMinutes(60);
  policy.set_retries(1);
  const std::string job_id = Submit(policy);
  auto lease = Lease(devices_[0]);
  ASSERT_TRUE(lease.has_value());
  env_.clock().Advance(absl::Minutes(10) + absl::Seconds(1));
  auto beat = Heartbeat(devices_[0], *lease);
  EXPECT_TRUE(absl::IsFailedPrecondition(beat.status())) << beat.status();
  EXPECT_THAT(beat.status().message(), HasSubstr("lease expired"));
  EXPECT_EQ(*env_.reaper().RunOnce(), 1);
  v1::Task task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_QUEUED) << "a lost lease is retried";
  EXPECT_EQ(task.attempt(), 2u);
}

TEST_F(LeaseTest, HeartbeatsOfAnotherLeaseOrDeviceAreRefused) {
  Fleet(2);
  Submit(v1::RolloutPolicy());
  auto lease = Lease(devices_[0]);
  ASSERT_TRUE(lease.has_value());
  v1::LeasedTask forged = *lease;
  forged.set_lease_id("not-the-lease");
  EXPECT_THAT(Heartbeat(devices_[0], forged).status().message(),
              HasSubstr("is held under another lease"));
  EXPECT_THAT(Heartbeat(devices_[1], *lease).status().message(),
              HasSubstr("is not assigned to this device"));
  v1::HeartbeatRequest empty;
  EXPECT_EQ(env_.runner().Heartbeat(devices_[0].bearer, empty).status(),
            absl::InvalidArgumentError("task_id: required"));
  EXPECT_TRUE(absl::IsUnauthenticated(
      env_.runner().Heartbeat("Bearer nope", empty).status()));
}

TEST_F(LeaseTest, AServerRestartGivesTasksInFlightAFreshLease) {
  Fleet(1);
  Submit(v1::RolloutPolicy());
  auto lease = Lease(devices_[0]);
  ASSERT_TRUE(lease.has_value());
  // The server was down for 30 minutes: the lease ran out meanwhile.
  env_.clock().Advance(absl::Minutes(30));
  // What serve does at start (server/serve/startup_recovery.h).
  serve::StartupRecoveryOptions options;
  options.lease_duration = absl::Minutes(10);
  absl::StatusOr<serve::StartupRecovery> recovery =
      serve::RecoverAtStartup(env_.store(), env_.clock(), options);
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->extended_leases, 1);
  EXPECT_THAT(serve::DescribeRecovery(*recovery, options),
              Contains(HasSubstr("gave 1 task(s) in flight a fresh lease of "
                                 "10m")));
  EXPECT_EQ(*env_.reaper().RunOnce(), 0);
  EXPECT_TRUE(Heartbeat(devices_[0], *lease).ok());
}

}  // namespace
}  // namespace mdefleet::testing

// The rollout policy without a server: syntax checks (part of
// ValidateJobSpec), resolution against the targeted devices and the clock,
// the retry backoff, and how plans classify failures for retries.
#include "common/rollout_policy.h"

#include <string>

#include "common/job_spec_validation.h"
#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1709294400);  // 2024-03-01 12:00

google::protobuf::Duration Seconds(int64_t s) {
  google::protobuf::Duration d;
  d.set_seconds(s);
  return d;
}

std::string ErrorOf(const v1::RolloutPolicy& policy) {
  absl::Status status = ValidateRolloutPolicy(policy);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

TEST(ValidateRolloutPolicyTest, AcceptsTheEmptyAndAFullPolicy) {
  EXPECT_TRUE(ValidateRolloutPolicy({}).ok());
  v1::RolloutPolicy p;
  p.set_max_in_flight(50);
  p.set_canary(3);
  p.set_canary_approval(true);
  p.mutable_wave_size()->set_percent(12.5);
  *p.mutable_wave_interval() = Seconds(600);
  p.mutable_max_failures()->set_percent(5);
  *p.mutable_task_timeout() = Seconds(3600);
  *p.mutable_deadline_after() = Seconds(86400);
  p.set_retries(3);
  *p.mutable_retry_backoff() = Seconds(30);
  EXPECT_TRUE(ValidateRolloutPolicy(p).ok());
  // Zero failures tolerated is a threshold too.
  v1::RolloutPolicy zero;
  zero.mutable_max_failures()->set_count(0);
  EXPECT_TRUE(ValidateRolloutPolicy(zero).ok());
}

TEST(ValidateRolloutPolicyTest, NamesTheFieldAndTheFlag) {
  v1::RolloutPolicy p;
  p.mutable_max_failures()->set_percent(100.5);
  EXPECT_EQ(ErrorOf(p),
            "policy.max_failures: 100.5% is over 100% (--max-failures)");
  p.mutable_max_failures()->set_percent(-1);
  EXPECT_THAT(ErrorOf(p), HasSubstr("between 0 and 100"));

  v1::RolloutPolicy wave;
  wave.mutable_wave_size()->set_percent(0);
  EXPECT_EQ(ErrorOf(wave),
            "policy.wave_size: 0% would never lease anything (--wave-size)");

  v1::RolloutPolicy backoff;
  *backoff.mutable_retry_backoff() = Seconds(60);
  EXPECT_EQ(ErrorOf(backoff),
            "policy.retry_backoff: only applies to retries; set --retries N "
            "(--retry-backoff)");

  v1::RolloutPolicy timeout;
  timeout.mutable_task_timeout()->set_nanos(1000);
  EXPECT_EQ(ErrorOf(timeout),
            "policy.task_timeout: must be at least 1s (--task-timeout)");

  v1::RolloutPolicy huge;
  huge.set_canary(kMaxCanary + 1);
  EXPECT_THAT(ErrorOf(huge), HasSubstr("(--canary)"));

  // ValidateJobSpec checks the policy too.
  v1::JobSpec spec;
  spec.set_kind("install");
  spec.mutable_target()->set_all(true);
  spec.mutable_policy()->set_canary_approval(true);
  EXPECT_THAT(std::string(ValidateJobSpec(spec).message()),
              HasSubstr("policy.canary_approval"));
}

TEST(ResolveRolloutPolicyTest, PercentagesBecomeCounts) {
  v1::RolloutPolicy p;
  p.mutable_wave_size()->set_percent(10);
  p.mutable_max_failures()->set_percent(5);
  auto r = ResolveRolloutPolicy(&p, 95, kNow, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->wave_size, 10);     // 9.5 rounded up
  EXPECT_EQ(*r->max_failures, 4);  // 4.75 rounded down
  // A tiny fleet still gets a wave of one; 5% of 10 tolerates none.
  r = ResolveRolloutPolicy(&p, 10, kNow, std::nullopt);
  EXPECT_EQ(r->wave_size, 1);
  EXPECT_EQ(*r->max_failures, 0);
  // Exact percentages are not lost to floating point.
  p.mutable_max_failures()->set_percent(7);
  EXPECT_EQ(*ResolveRolloutPolicy(&p, 100, kNow, std::nullopt)->max_failures,
            7);
}

TEST(ResolveRolloutPolicyTest, TheDeadlineBecomesAbsoluteAndIsCapped) {
  v1::RolloutPolicy p;
  *p.mutable_deadline_after() = Seconds(3600);
  auto r = ResolveRolloutPolicy(&p, 1, kNow, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->deadline, kNow + absl::Hours(1));
  EXPECT_FALSE(r->deadline_capped);
  // The stored spec carries the absolute time.
  EXPECT_EQ(p.deadline().seconds(), absl::ToUnixSeconds(kNow) + 3600);
  EXPECT_FALSE(p.has_deadline_after());

  v1::RolloutPolicy capped;
  *capped.mutable_deadline_after() = Seconds(86400 * 30);
  r = ResolveRolloutPolicy(&capped, 1, kNow, kNow + absl::Hours(48));
  EXPECT_EQ(*r->deadline, kNow + absl::Hours(48));
  EXPECT_TRUE(r->deadline_capped);

  v1::RolloutPolicy none;
  r = ResolveRolloutPolicy(&none, 1, kNow, kNow + absl::Hours(48));
  EXPECT_EQ(*r->deadline, kNow + absl::Hours(48));
  EXPECT_TRUE(r->deadline_capped);
}

TEST(ResolveRolloutPolicyTest, RefusesWhatCannotWorkForThisTarget) {
  v1::RolloutPolicy p;
  p.set_canary(5);
  EXPECT_EQ(ResolveRolloutPolicy(&p, 4, kNow, std::nullopt).status().message(),
            "policy.canary: 5 canaries but the target matches 4 devices "
            "(--canary)");
  EXPECT_TRUE(ResolveRolloutPolicy(&p, 5, kNow, std::nullopt).ok());

  v1::RolloutPolicy past;
  past.mutable_deadline()->set_seconds(absl::ToUnixSeconds(kNow));
  EXPECT_EQ(
      ResolveRolloutPolicy(&past, 1, kNow, std::nullopt).status().message(),
      "policy.deadline: 2024-03-01T12:00:00Z is not in the future (now "
      "2024-03-01T12:00:00Z) (--deadline)");
}

TEST(RetryDelayTest, DoublesUpToAnHour) {
  EXPECT_EQ(RetryDelay(absl::Minutes(1), 1), absl::Minutes(1));
  EXPECT_EQ(RetryDelay(absl::Minutes(1), 2), absl::Minutes(2));
  EXPECT_EQ(RetryDelay(absl::Minutes(1), 4), absl::Minutes(8));
  EXPECT_EQ(RetryDelay(absl::Minutes(1), 10), absl::Hours(1));
  EXPECT_EQ(RetryDelay(absl::Hours(2), 1), absl::Hours(1));
}

TEST(FormatThresholdTest, CountsAndPercentages) {
  v1::Threshold t;
  EXPECT_EQ(FormatThreshold(t), "");
  t.set_count(5);
  EXPECT_EQ(FormatThreshold(t), "5");
  t.set_percent(5);
  EXPECT_EQ(FormatThreshold(t), "5%");
  t.set_percent(2.5);
  EXPECT_EQ(FormatThreshold(t), "2.5%");
}

TEST(CheckTaskTimeoutFitsPlanTest, TheLeaseMustOutlastTheLongestStep) {
  v1::Plan plan;
  v1::PlannedStep* step = plan.add_steps();
  step->set_name("run_install_ps1");
  *step->mutable_action()->mutable_run_process()->mutable_timeout() =
      Seconds(1800);
  v1::RolloutPolicy p;
  EXPECT_TRUE(CheckTaskTimeoutFitsPlan(p, plan, "WEB-01").ok());
  *p.mutable_task_timeout() = Seconds(1800);
  EXPECT_TRUE(CheckTaskTimeoutFitsPlan(p, plan, "WEB-01").ok());
  *p.mutable_task_timeout() = Seconds(600);
  EXPECT_EQ(CheckTaskTimeoutFitsPlan(p, plan, "WEB-01").message(),
            "policy.task_timeout: 10m is shorter than step run_install_ps1 on "
            "WEB-01 may run (30m): the task timeout would cut the step short "
            "(--task-timeout)");
}

// Install.ps1 exit 4 (no connectivity), 12 (pending reboot) and 36 (MSI in
// use) and network steps are retryable; everything else is final.
TEST(ClassifyStepFailureTest, RetryableAndFinalFailuresOfRealPlans) {
  PlanInputs inputs;
  inputs.kind = "onboard";
  inputs.install_script = ArtifactRef{std::string(64, 'a'), "Install.ps1"};
  inputs.installer_msi = ArtifactRef{std::string(64, 'b'), "md4ws.msi"};
  inputs.onboarding_script = ArtifactRef{std::string(64, 'c'), "o.cmd"};
  v1::DeviceFacts ws2016;
  ws2016.set_os_version("10.0.14393.1");
  auto downlevel = BuildPlan(inputs, ws2016);
  ASSERT_TRUE(downlevel.ok()) << downlevel.status();
  const v1::PlannedStep* install = nullptr;
  const v1::PlannedStep* fetch = nullptr;
  const v1::PlannedStep* precheck = nullptr;
  for (const v1::PlannedStep& s : downlevel->steps()) {
    if (s.name() == "run_install_ps1") install = &s;
    if (s.name() == "fetch_install_ps1") fetch = &s;
    if (s.name() == "precheck_not_onboarded") precheck = &s;
  }
  ASSERT_TRUE(install && fetch && precheck);
  EXPECT_EQ(ClassifyStepFailure(*install, 4), v1::FAILURE_CLASS_RETRYABLE);
  EXPECT_EQ(ClassifyStepFailure(*install, 12), v1::FAILURE_CLASS_RETRYABLE);
  EXPECT_EQ(ClassifyStepFailure(*install, 36), v1::FAILURE_CLASS_RETRYABLE);
  EXPECT_EQ(ClassifyStepFailure(*install, 6), v1::FAILURE_CLASS_FINAL);
  EXPECT_EQ(ClassifyStepFailure(*install, 11), v1::FAILURE_CLASS_FINAL);
  // No exit code (timed out, or not re-run after a restart): final.
  EXPECT_EQ(ClassifyStepFailure(*install, std::nullopt),
            v1::FAILURE_CLASS_FINAL);
  EXPECT_EQ(ClassifyStepFailure(*fetch, std::nullopt),
            v1::FAILURE_CLASS_RETRYABLE);
  EXPECT_EQ(ClassifyStepFailure(*precheck, std::nullopt),
            v1::FAILURE_CLASS_FINAL);

  v1::DeviceFacts ws2019;
  ws2019.set_os_version("10.0.17763.1");
  ws2019.set_sensor_installed(true);
  auto modern = BuildPlan(inputs, ws2019);
  ASSERT_TRUE(modern.ok()) << modern.status();
  for (const v1::PlannedStep& s : modern->steps()) {
    const bool network =
        s.name() == "precheck_connectivity" || s.name().rfind("fetch_", 0) == 0;
    EXPECT_EQ(ClassifyStepFailure(s, 1),
              network ? v1::FAILURE_CLASS_RETRYABLE : v1::FAILURE_CLASS_FINAL)
        << s.name();
  }
}

}  // namespace
}  // namespace mdefleet

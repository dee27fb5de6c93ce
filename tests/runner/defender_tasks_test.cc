// Issue 5 plans run by the task runner against the simulated server:
// continue_on_failure (health_check findings, journal-safe across a runner
// restart), set_passive_mode with and without tamper protection, and
// image_prep through its restart.
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/client/task_runner.h"
#include "runner/facts/fact_collector.h"
#include "runner/journal/journal.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::FakeFetcher;
using ::testing::HasSubstr;
using testing::MakeSim;
using testing::RecordingReporter;

class DefenderTasksTest : public ::testing::Test {
 protected:
  void Boot(const std::string& spec) {
    host_.reset();
    host_ = MakeSim(spec, dir_.path());
  }
  // The plan the server would make for this device's facts.
  void Plan(const std::string& kind, PlanInputs inputs = {}) {
    auto facts = CollectFacts(*host_, {});
    ASSERT_TRUE(facts.ok()) << facts.status();
    inputs.kind = kind;
    auto plan = BuildPlan(inputs, *facts);
    ASSERT_TRUE(plan.ok()) << plan.status();
    task_.set_task_id("t-" + kind);
    task_.set_attempt(1);
    task_.set_lease_id("lease-1");
    task_.set_kind(kind);
    *task_.mutable_plan() = *plan;
  }
  TaskOutcome Run(RecordingReporter& reporter) {
    TaskRunnerOptions options;
    options.collect_facts = [this] { return CollectFacts(*host_, {}); };
    options.report_retry_budget = absl::ZeroDuration();
    return RunTask(task_, *host_, fetcher_, reporter, options);
  }
  // Final report of step `name`.
  static v1::ReportStepRequest FinalOf(const RecordingReporter& r,
                                       const v1::LeasedTask& task,
                                       const std::string& name) {
    for (const auto& req : r.Finals()) {
      if (task.plan().steps(static_cast<int>(req.step_index())).name() ==
          name) {
        return req;
      }
    }
    ADD_FAILURE() << "no final report of " << name;
    return {};
  }

  TempDir dir_;
  std::unique_ptr<sim::SimulatedHost> host_;
  FakeFetcher fetcher_;
  v1::LeasedTask task_;
};

TEST_F(DefenderTasksTest, HealthyDeviceSucceedsWithEveryCheckRun) {
  Boot("ws2022+onboarded+tamper");
  Plan("health_check");
  RecordingReporter reporter;
  TaskOutcome out = Run(reporter);
  ASSERT_EQ(out.end, TaskEnd::kCompleted) << out.summary;
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  EXPECT_EQ(reporter.Finals().size(),
            static_cast<size_t>(task_.plan().steps_size()));
  // The ending report carries the facts the checks refreshed.
  const v1::DeviceFacts& facts = reporter.requests.back().facts();
  EXPECT_TRUE(facts.cloud_connection().ok());
  EXPECT_EQ(facts.cloud_protection(), v1::FEATURE_STATE_ON);
  EXPECT_EQ(facts.tamper_protection(), v1::FEATURE_STATE_ON);
}

TEST_F(DefenderTasksTest, FindingsDoNotStopTheTaskButFailItAtTheEnd) {
  Boot("ws2019+onboarded+mapsoff");
  Plan("health_check");
  RecordingReporter reporter;
  TaskOutcome out = Run(reporter);
  ASSERT_EQ(out.end, TaskEnd::kCompleted) << out.summary;
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  // Every step reported; only the last one ends the task.
  std::vector<v1::ReportStepRequest> finals = reporter.Finals();
  ASSERT_EQ(finals.size(), static_cast<size_t>(task_.plan().steps_size()));
  for (size_t i = 0; i + 1 < finals.size(); ++i) {
    EXPECT_EQ(finals[i].task_state(), v1::TASK_STATE_UNSPECIFIED) << i;
  }
  EXPECT_EQ(finals.back().task_state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(FinalOf(reporter, task_, "check_cloud_protection").state(),
            v1::STEP_STATE_FAILED);
  v1::ReportStepRequest maps =
      FinalOf(reporter, task_, "check_cloud_connection");
  EXPECT_EQ(maps.state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(maps.message(), HasSubstr("0x80508015"));
  EXPECT_EQ(FinalOf(reporter, task_, "check_sense_running").state(),
            v1::STEP_STATE_SUCCEEDED);
  const v1::DeviceFacts& facts = finals.back().facts();
  EXPECT_EQ(facts.cloud_protection(), v1::FEATURE_STATE_OFF);
  EXPECT_FALSE(facts.cloud_connection().ok());
  EXPECT_EQ(facts.cloud_connection().error_code(), "0x80508015");
}

TEST_F(DefenderTasksTest, EarlierFindingsSurviveARunnerRestart) {
  Boot("ws2019+onboarded+mapsoff");
  Plan("health_check");
  // The server goes away when the last step reports: the journal keeps the
  // acknowledged failures of the earlier steps.
  const uint32_t last = static_cast<uint32_t>(task_.plan().steps_size() - 1);
  RecordingReporter first;
  first.fail = [last](const v1::ReportStepRequest& r) {
    return r.step_index() == last && r.state() == v1::STEP_STATE_RUNNING
               ? absl::UnavailableError("server went away")
               : absl::OkStatus();
  };
  EXPECT_EQ(Run(first).end, TaskEnd::kInterrupted);
  Boot("ws2019+onboarded+mapsoff");
  RecordingReporter second;
  TaskOutcome out = Run(second);
  ASSERT_EQ(out.end, TaskEnd::kCompleted) << out.summary;
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED)
      << "a finding acknowledged before the restart still fails the task";
  ASSERT_EQ(second.Finals().size(), 1u);
  EXPECT_EQ(second.Finals()[0].state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(second.Finals()[0].task_state(), v1::TASK_STATE_FAILED);
}

TEST_F(DefenderTasksTest, AStepWithoutContinueOnFailureStillEndsTheTask) {
  Boot("ws2019");
  v1::LeasedTask task;
  task.set_task_id("t-mixed");
  task.set_attempt(1);
  task.set_lease_id("l");
  v1::PlannedStep* finding = task.mutable_plan()->add_steps();
  finding->set_name("finding");
  finding->set_continue_on_failure(true);
  finding->mutable_action()->mutable_check_service()->set_name("Sense");
  finding->mutable_action()->mutable_check_service()->add_accept(
      v1::SERVICE_STATE_RUNNING);
  v1::PlannedStep* hard = task.mutable_plan()->add_steps();
  *hard = *finding;
  hard->set_name("hard");
  hard->set_continue_on_failure(false);
  v1::PlannedStep* never = task.mutable_plan()->add_steps();
  never->set_name("never");
  never->mutable_action()->mutable_skip()->set_reason("x");
  task_ = task;
  RecordingReporter reporter;
  TaskOutcome out = Run(reporter);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  ASSERT_EQ(reporter.Finals().size(), 2u);
  EXPECT_EQ(reporter.Finals()[0].task_state(), v1::TASK_STATE_UNSPECIFIED);
  EXPECT_EQ(reporter.Finals()[1].task_state(), v1::TASK_STATE_FAILED);
}

// Passive mode exists only on onboarded devices: on one that is not, the
// value is set (ready for onboarding) and Defender stays active.
TEST_F(DefenderTasksTest, SetPassiveModeBeforeOnboardingWaitsForOnboarding) {
  Boot("ws2019+av");
  Plan("set_passive_mode");
  RecordingReporter reporter;
  TaskOutcome out = Run(reporter);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  ASSERT_TRUE(host_->Reboot("test", absl::ZeroDuration()).ok());
  EXPECT_EQ(CollectFacts(*host_, {})->av_mode(), v1::AV_MODE_ACTIVE);
  EXPECT_TRUE(CollectFacts(*host_, {})->passive_mode_forced());
}

TEST_F(DefenderTasksTest, SetPassiveModeSetsTheValueAndSwitchesAtRestart) {
  Boot("ws2019+av+onboarded");
  Plan("set_passive_mode");
  RecordingReporter reporter;
  TaskOutcome out = Run(reporter);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  auto force =
      host_->ReadValue(mde::kAtpPolicyKey, mde::kForcePassiveModeValue);
  ASSERT_TRUE(force.ok() && force->has_value());
  EXPECT_EQ(std::get<uint32_t>(**force), 1u);
  EXPECT_EQ(CollectFacts(*host_, {})->av_mode(), v1::AV_MODE_ACTIVE)
      << "takes effect at the next start";
  ASSERT_TRUE(host_->Reboot("test", absl::ZeroDuration()).ok());
  EXPECT_EQ(CollectFacts(*host_, {})->av_mode(), v1::AV_MODE_PASSIVE);
  // Again: already passive, nothing to do.
  Plan("set_passive_mode");
  task_.set_task_id("t-again");
  RecordingReporter again;
  out = Run(again);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SKIPPED);
  EXPECT_THAT(again.Finals()[0].message(),
              HasSubstr("already runs in passive"));
}

TEST_F(DefenderTasksTest, TamperProtectionFailsSetPassiveModeWithTheReason) {
  Boot("ws2022+onboarded+tamper+av");
  Plan("set_passive_mode");
  EXPECT_THAT(task_.plan().warnings(),
              ::testing::Contains(HasSubstr("this device will fail")));
  RecordingReporter reporter;
  TaskOutcome out = Run(reporter);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  v1::ReportStepRequest failed =
      FinalOf(reporter, task_, "precheck_tamper_protection");
  EXPECT_EQ(failed.state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(failed.message(), HasSubstr("must be set before onboarding"));
  auto force =
      host_->ReadValue(mde::kAtpPolicyKey, mde::kForcePassiveModeValue);
  ASSERT_TRUE(force.ok());
  EXPECT_FALSE(force->has_value()) << "nothing written";
  // The model agrees: even set by hand, the value does not switch it.
  ASSERT_TRUE(host_
                  ->WriteValue(mde::kAtpPolicyKey, mde::kForcePassiveModeValue,
                               uint32_t{1})
                  .ok());
  ASSERT_TRUE(host_->Reboot("test", absl::ZeroDuration()).ok());
  EXPECT_EQ(CollectFacts(*host_, {})->av_mode(), v1::AV_MODE_ACTIVE);
}

TEST_F(DefenderTasksTest, ImagePrepOffboardsCleansRestartsAndVerifies) {
  Boot("ws2019+onboarded");
  ASSERT_FALSE(host_->ListDirectory(mde::kCyberDirectory)->empty());
  PlanInputs inputs;
  inputs.offboarding_script =
      ArtifactRef{fetcher_.Add(testing::OffboardingScriptContent()),
                  testing::kOffboardingName};
  Plan("image_prep", inputs);
  RecordingReporter first;
  TaskOutcome rebooting = Run(first);
  ASSERT_EQ(rebooting.end, TaskEnd::kRebooting) << rebooting.summary;
  // The runner starts again after the (simulated, immediate) restart.
  Boot("ws2019+onboarded");
  RecordingReporter second;
  TaskOutcome done = Run(second);
  ASSERT_EQ(done.end, TaskEnd::kCompleted) << done.summary;
  EXPECT_EQ(done.task_state, v1::TASK_STATE_SUCCEEDED) << done.summary;
  EXPECT_EQ(host_->Reboots().size(), 1u);
  EXPECT_TRUE(host_->ListDirectory(mde::kCyberDirectory)->empty());
  auto guid = host_->ReadValue(mde::kAtpKey, mde::kSenseGuidValue);
  ASSERT_TRUE(guid.ok());
  EXPECT_FALSE(guid->has_value());
  EXPECT_EQ(second.requests.back().facts().sense_guid_sha256(), "");
}

TEST_F(DefenderTasksTest, ARunningSensorRecreatesSenseGuidAtBoot) {
  // Why image_prep offboards first.
  Boot("ws2019+onboarded");
  ASSERT_TRUE(host_->DeleteValue(mde::kAtpKey, mde::kSenseGuidValue).ok());
  ASSERT_TRUE(host_->DeleteDirectoryContents(mde::kCyberDirectory).ok());
  ASSERT_TRUE(host_->Reboot("test", absl::ZeroDuration()).ok());
  auto guid = host_->ReadValue(mde::kAtpKey, mde::kSenseGuidValue);
  ASSERT_TRUE(guid.ok());
  EXPECT_TRUE(guid->has_value());
  EXPECT_FALSE(host_->ListDirectory(mde::kCyberDirectory)->empty());
}

}  // namespace
}  // namespace mdefleet::runner

// A fleet of enrolled devices, onboard jobs submitted with a rollout policy,
// and runner-side helpers (succeed, fail, skip a leased task) for the rollout
// and job-control tests. Time comes from the TestEnv's fake clock.
#ifndef MDEFLEET_TESTS_SERVER_ROLLOUT_FIXTURE_H_
#define MDEFLEET_TESTS_SERVER_ROLLOUT_FIXTURE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "server/store/audit.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {

class RolloutTest : public ::testing::Test {
 protected:
  // Enrolls `n` devices "DEV-2019-00".. on `os` (2019 unless given).
  void Fleet(int n, absl::string_view os = "2019") {
    for (int i = 0; i < n; ++i) {
      devices_.push_back(env_.Enroll(MakeFacts(
          absl::StrFormat("DEV-%s-%02d", std::string(os), devices_.size()),
          os)));
    }
  }

  v1::SubmitJobRequest Onboard(const v1::RolloutPolicy& policy) {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("onboard");
    r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        script_.id());
    r.mutable_spec()->mutable_target()->set_all(true);
    *r.mutable_spec()->mutable_policy() = policy;
    return r;
  }

  // Submits an onboard job to every device; fails the test on error.
  std::string Submit(const v1::RolloutPolicy& policy) {
    auto job =
        env_.admin().jobs().SubmitJob(env_.admin_bearer(), Onboard(policy));
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->job().id() : "";
  }

  // The submit's error (and that nothing but the audit log changed).
  absl::Status Refused(const v1::SubmitJobRequest& request) {
    const std::string before = env_.Snapshot();
    auto job = env_.admin().jobs().SubmitJob(env_.admin_bearer(), request);
    EXPECT_FALSE(job.ok());
    EXPECT_EQ(env_.Snapshot(), before);
    return job.status();
  }

  v1::Job Job(const std::string& id) {
    v1::GetJobRequest r;
    r.set_job_id(id);
    auto job = env_.admin().jobs().GetJob(env_.admin_bearer(), r);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }

  v1::Task TaskOf(const std::string& job_id, const EnrolledDevice& device) {
    v1::ListTasksRequest r;
    r.set_job_id(job_id);
    auto tasks = env_.admin().jobs().ListTasks(env_.admin_bearer(), r);
    EXPECT_TRUE(tasks.ok()) << tasks.status();
    for (const v1::Task& t : tasks->tasks()) {
      if (t.device_id() == device.id) return t;
    }
    ADD_FAILURE() << "no task for " << device.id;
    return v1::Task();
  }

  // Polls `device`; the leased task or nullopt.
  std::optional<v1::LeasedTask> Lease(const EnrolledDevice& device) {
    v1::PollTasksResponse poll = env_.Poll(device);
    if (poll.tasks_size() == 0) return std::nullopt;
    return poll.tasks(0);
  }

  // Polls every device; the leased tasks, by device index.
  std::vector<std::optional<v1::LeasedTask>> PollAll() {
    std::vector<std::optional<v1::LeasedTask>> out;
    for (const EnrolledDevice& d : devices_) out.push_back(Lease(d));
    return out;
  }
  static int Count(const std::vector<std::optional<v1::LeasedTask>>& leases) {
    int n = 0;
    for (const auto& l : leases) n += l.has_value() ? 1 : 0;
    return n;
  }

  static uint32_t StepIndex(const v1::LeasedTask& task,
                            absl::string_view name) {
    for (int i = 0; i < task.plan().steps_size(); ++i) {
      if (task.plan().steps(i).name() == name) return static_cast<uint32_t>(i);
    }
    ADD_FAILURE() << "no step " << name;
    return 0;
  }

  // Reports step `step` RUNNING, then FAILED ending the task.
  absl::StatusOr<v1::ReportStepResponse> Fail(
      const EnrolledDevice& device, const v1::LeasedTask& task,
      absl::string_view step, std::optional<int32_t> exit_code = std::nullopt,
      absl::string_view message = "it broke") {
    const uint32_t index = StepIndex(task, step);
    auto running = env_.runner().ReportStep(
        device.bearer, Report(task, index, v1::STEP_STATE_RUNNING));
    if (!running.ok()) return running.status();
    v1::ReportStepRequest failed = Report(task, index, v1::STEP_STATE_FAILED);
    if (exit_code.has_value()) failed.set_exit_code(*exit_code);
    failed.set_message(std::string(message));
    failed.set_task_state(v1::TASK_STATE_FAILED);
    return env_.runner().ReportStep(device.bearer, failed);
  }

  // A heartbeat for step `index` of `task`.
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(const EnrolledDevice& device,
                                                  const v1::LeasedTask& task,
                                                  uint32_t index = 0) {
    v1::HeartbeatRequest r;
    r.set_task_id(task.task_id());
    r.set_attempt(task.attempt());
    r.set_lease_id(task.lease_id());
    r.set_step_index(index);
    return env_.runner().Heartbeat(device.bearer, r);
  }

  // Reports the first step SKIPPED, ending the task skipped.
  void Skip(const EnrolledDevice& device, const v1::LeasedTask& task) {
    v1::ReportStepRequest skipped = Report(task, 0, v1::STEP_STATE_SKIPPED);
    skipped.set_message("already onboarded");
    skipped.set_task_state(v1::TASK_STATE_SKIPPED);
    ASSERT_TRUE(env_.runner().ReportStep(device.bearer, skipped).ok());
  }

  std::vector<store::AuditEntry> Audit(const std::string& job_id) {
    std::vector<store::AuditEntry> rows;
    EXPECT_TRUE(env_.store()
                    .Read([&](store::Connection& db) -> absl::Status {
                      auto read = store::AuditForTarget(db, job_id);
                      if (!read.ok()) return read.status();
                      rows = *std::move(read);
                      return absl::OkStatus();
                    })
                    .ok());
    return rows;
  }

  TestEnv env_;
  std::vector<EnrolledDevice> devices_;
  v1::Artifact script_ =
      env_.SeedArtifact(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                        "WindowsDefenderATPOnboardingScript.cmd",
                        OnboardingScript());
};

inline google::protobuf::Duration ProtoMinutes(int64_t minutes) {
  google::protobuf::Duration d;
  d.set_seconds(minutes * 60);
  return d;
}

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_SERVER_ROLLOUT_FIXTURE_H_

// What the runner does with one PollTasks response (HandlePollResponse):
// tasks run in the order delivered, a restart ends the poll, a stop is
// honoured between tasks.
#include "runner/client/poll_response.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/facts/fact_collector.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using ::testing::ElementsAre;
using testing::FakeFetcher;
using ::testing::HasSubstr;
using testing::MakeSim;
using testing::RecordingReporter;

// A task whose one step is recorded as skipped, or restarts the machine.
v1::LeasedTask Task(const std::string& id, bool reboot) {
  v1::LeasedTask task;
  task.set_task_id(id);
  task.set_attempt(1);
  task.set_lease_id("lease-1");
  task.set_kind("health_check");
  v1::PlannedStep* step = task.mutable_plan()->add_steps();
  step->set_name(reboot ? "reboot" : "skip");
  if (reboot) {
    step->mutable_action()->mutable_reboot()->set_reason("test");
  } else {
    step->mutable_action()->mutable_skip()->set_reason("nothing to do");
  }
  return task;
}

class PollResponseTest : public ::testing::Test {
 protected:
  std::optional<TaskOutcome> Handle(const v1::PollTasksResponse& response,
                                    absl::Notification* stop = nullptr) {
    TaskRunnerOptions options;
    options.collect_facts = [this] { return CollectFacts(*host_, {}); };
    options.report_retry_budget = absl::ZeroDuration();
    options.stop = stop;
    return HandlePollResponse(
        response, *host_, reporter_,
        [this](const v1::LeasedTask&) {
          ++fetchers_;
          return std::make_unique<FakeFetcher>();
        },
        options, [this](absl::string_view line) { log_.emplace_back(line); });
  }
  // Task ids of the final (not RUNNING) reports, in order.
  std::vector<std::string> ReportedTasks() const {
    std::vector<std::string> ids;
    for (const auto& r : reporter_.Finals()) ids.push_back(r.task_id());
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<sim::SimulatedHost> host_ = MakeSim("ws2019", dir_.path());
  RecordingReporter reporter_;
  int fetchers_ = 0;
  std::vector<std::string> log_;
};

TEST_F(PollResponseTest, RunsEveryTaskInOrder) {
  v1::PollTasksResponse response;
  *response.add_tasks() = Task("t-1", false);
  *response.add_tasks() = Task("t-2", false);
  EXPECT_EQ(Handle(response), std::nullopt);
  EXPECT_THAT(ReportedTasks(), ElementsAre("t-1", "t-2"));
  EXPECT_EQ(fetchers_, 2);
  ASSERT_EQ(log_.size(), 4u);
  EXPECT_THAT(log_[0], HasSubstr("task t-1 (health_check, attempt 1, 1 steps) "
                                 "started"));
  EXPECT_THAT(log_[1], HasSubstr("task t-1 ended: "));
}

TEST_F(PollResponseTest, ARestartEndsThePoll) {
  v1::PollTasksResponse response;
  *response.add_tasks() = Task("t-reboot", true);
  *response.add_tasks() = Task("t-later", false);
  std::optional<TaskOutcome> rebooting = Handle(response);
  ASSERT_TRUE(rebooting.has_value());
  EXPECT_EQ(rebooting->end, TaskEnd::kRebooting);
  // The other task is delivered again after the restart.
  EXPECT_EQ(fetchers_, 1);
  EXPECT_THAT(ReportedTasks(), ::testing::Not(::testing::Contains("t-later")));
}

TEST_F(PollResponseTest, AStopEndsThePollBetweenTasks) {
  absl::Notification stop;
  stop.Notify();
  v1::PollTasksResponse response;
  *response.add_tasks() = Task("t-1", false);
  *response.add_tasks() = Task("t-2", false);
  EXPECT_EQ(Handle(response, &stop), std::nullopt);
  EXPECT_EQ(fetchers_, 1);
  EXPECT_THAT(ReportedTasks(), ::testing::IsEmpty());
}

TEST_F(PollResponseTest, AnEmptyResponseRunsNothing) {
  EXPECT_EQ(Handle(v1::PollTasksResponse()), std::nullopt);
  EXPECT_EQ(fetchers_, 0);
  EXPECT_TRUE(log_.empty());
}

}  // namespace
}  // namespace mdefleet::runner

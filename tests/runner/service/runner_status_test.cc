// The runner service's status file and the events it forwards to the
// Application event log. On Linux in a SimulatedHost; under Wine in the
// real file system.
#include "runner/service/runner_status.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/runner/service/service_test_support.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::runner {
namespace {

struct Event {
  RunnerEventSeverity severity;
  std::string message;
};

class RunnerStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::MakeConfigTestEnv(dir_.path());
    ASSERT_NE(env_.host, nullptr);
    ASSERT_TRUE(env_.host->CreateDirectories(env_.host->StateDirectory()).ok());
    status_ = std::make_unique<RunnerStatusFile>(
        *env_.host, "mdefleet.corp.example:7443",
        [this](RunnerEventSeverity severity, const std::string& message) {
          events_.push_back({severity, message});
        },
        &clock_);
  }
  void TearDown() override {
    status_.reset();
    testing::CleanUpConfigTestEnv(env_);
  }
  RunnerStatus Read() {
    auto read = ReadRunnerStatus(*env_.host, env_.host->StateDirectory());
    EXPECT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(read.ok() && read->has_value());
    return read.ok() && read->has_value() ? **read : RunnerStatus{};
  }

  ::mdefleet::testing::TempDir dir_;
  testing::ConfigTestEnv env_;
  ::mdefleet::testing::FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  std::vector<Event> events_;
  std::unique_ptr<RunnerStatusFile> status_;
};

TEST_F(RunnerStatusTest, NoFileBeforeTheServiceRan) {
  auto read = ReadRunnerStatus(*env_.host, env_.host->StateDirectory());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
  const std::string text = DescribeRunnerStatus(
      "from runner.conf", "not installed", std::nullopt, clock_.Now());
  EXPECT_TRUE(absl::StrContains(text, "none yet")) << text;
}

TEST_F(RunnerStatusTest, EnrollmentContactAndTaskAreRecorded) {
  status_->Enrolled("dev-0123", /*newly=*/true);
  status_->Contacted(clock_.Now());
  status_->WorkingOn("task-42", "onboard");
  RunnerStatus read = Read();
  EXPECT_EQ(read.server_address, "mdefleet.corp.example:7443");
  EXPECT_EQ(read.device_id, "dev-0123");
  EXPECT_EQ(read.last_contact, clock_.Now());
  EXPECT_EQ(read.current_task, "task-42");
  EXPECT_EQ(read.current_task_kind, "onboard");
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].severity, RunnerEventSeverity::kInformation);
  EXPECT_TRUE(absl::StrContains(events_[0].message, "dev-0123"));

  status_->WorkingOn("", "");
  clock_.Advance(absl::Seconds(90));
  read = Read();
  EXPECT_TRUE(read.current_task.empty());
  const std::string text =
      DescribeRunnerStatus("from runner.conf", "RUNNING", read, clock_.Now());
  EXPECT_TRUE(absl::StrContains(text, "yes, device dev-0123")) << text;
  EXPECT_TRUE(absl::StrContains(text, "1m30s ago")) << text;
  EXPECT_TRUE(absl::StrContains(text, "current task:  none")) << text;
}

TEST_F(RunnerStatusTest, AnExistingIdentityIsNoEvent) {
  status_->Enrolled("dev-0123", /*newly=*/false);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(Read().device_id, "dev-0123");
}

TEST_F(RunnerStatusTest, OneErrorEventPerStreakOfFailures) {
  for (int i = 0; i < 5; ++i) {
    status_->Failed("poll of mdefleet.corp.example:7443 failed: UNAVAILABLE");
    clock_.Advance(absl::Seconds(30));
  }
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].severity, RunnerEventSeverity::kError);
  EXPECT_TRUE(absl::StrContains(Read().last_error, "UNAVAILABLE"));

  status_->Contacted(clock_.Now());
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].severity, RunnerEventSeverity::kInformation);
  EXPECT_TRUE(absl::StrContains(events_[1].message, "again"));
  status_->Contacted(clock_.Now());
  EXPECT_EQ(events_.size(), 2u);

  status_->Failed("enrollment refused");
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[2].severity, RunnerEventSeverity::kError);
}

TEST_F(RunnerStatusTest, AMessageCannotAddLinesToTheFile) {
  status_->Failed("bad\r\nDeviceId = forged");
  RunnerStatus read = Read();
  EXPECT_EQ(read.device_id, "");
  EXPECT_TRUE(absl::StrContains(read.last_error, "forged"));
}

TEST_F(RunnerStatusTest, MalformedFileNamesTheLine) {
  auto parsed = ParseRunnerStatusFile("DeviceId = a\nno equals sign\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), "line 2"))
      << parsed.status();
  parsed = ParseRunnerStatusFile("LastContact = yesterday\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), "LastContact"));
  // Names a newer runner may add are ignored.
  EXPECT_TRUE(ParseRunnerStatusFile("Future = 1\nDeviceId = d\n").ok());
}

}  // namespace
}  // namespace mdefleet::runner

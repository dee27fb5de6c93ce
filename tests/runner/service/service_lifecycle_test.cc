#include "runner/service/service_lifecycle.h"

#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/enum_names.h"
#include "gtest/gtest.h"
#include "tests/testing/eventually.h"

namespace mdefleet::runner {
namespace {

// A body that records calls, can fail Prepare or Run, can block in Prepare
// until released, and lingers a little after a stop request.
class FakeBody : public ServiceBody {
 public:
  absl::Status prepare_result;
  absl::Status run_result;
  bool run_returns_immediately = false;
  absl::Duration linger_after_stop = absl::ZeroDuration();
  absl::Notification* block_prepare_until = nullptr;

  absl::Notification prepared;
  absl::Notification running;
  std::atomic<int> prepare_calls{0};
  std::atomic<int> run_calls{0};

  absl::Status Prepare() override {
    ++prepare_calls;
    if (block_prepare_until != nullptr) {
      block_prepare_until->WaitForNotification();
    }
    prepared.Notify();
    return prepare_result;
  }

  absl::Status Run(std::stop_token stop) override {
    ++run_calls;
    running.Notify();
    if (!run_returns_immediately) {
      // absl::Notification, not condition_variable_any::wait(stop_token):
      // the latter hangs now and then with mingw-w64's libstdc++ under Wine.
      absl::Notification stopped;
      std::stop_callback on_stop(stop, [&stopped] { stopped.Notify(); });
      stopped.WaitForNotification();
      absl::SleepFor(linger_after_stop);
    }
    return run_result;
  }
};

// Records every report.
class Recorder {
 public:
  ServiceLifecycle::Reporter reporter() {
    return [this](const ServiceStatusReport& r) {
      absl::MutexLock lock(&mu_);
      reports_.push_back(r);
    };
  }
  std::vector<ServiceStatusReport> reports() const {
    absl::MutexLock lock(&mu_);
    return reports_;
  }
  // The states, with consecutive repeats collapsed.
  std::vector<std::string> states() const {
    std::vector<std::string> out;
    for (const auto& r : reports()) {
      const std::string name(ServiceStateName(r.state));
      if (out.empty() || out.back() != name) out.push_back(name);
    }
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<ServiceStatusReport> reports_;
};

ServiceLifecycleOptions FastOptions(std::vector<std::string>* log = nullptr) {
  ServiceLifecycleOptions o;
  o.start_wait_hint = absl::Seconds(7);
  o.stop_wait_hint = absl::Seconds(9);
  o.pending_interval = absl::Milliseconds(20);
  if (log != nullptr) {
    auto mu = std::make_shared<absl::Mutex>();
    o.log = [log, mu](absl::string_view line) {
      absl::MutexLock lock(mu.get());
      log->emplace_back(line);
    };
  }
  return o;
}

TEST(ServiceLifecycle, StartRunStop) {
  FakeBody body;
  Recorder recorder;
  std::vector<std::string> log;
  ServiceLifecycle lifecycle(body, recorder.reporter(), FastOptions(&log));
  absl::Status result = absl::UnknownError("not run");
  std::thread t([&] { result = lifecycle.Execute(); });
  body.running.WaitForNotification();
  EXPECT_EQ(lifecycle.state(), v1::SERVICE_STATE_RUNNING);
  lifecycle.RequestStop("stop requested by the test");
  lifecycle.RequestStop("again");  // idempotent
  t.join();
  EXPECT_TRUE(result.ok()) << result;
  EXPECT_EQ(lifecycle.state(), v1::SERVICE_STATE_STOPPED);
  EXPECT_EQ(body.prepare_calls, 1);
  EXPECT_EQ(body.run_calls, 1);

  EXPECT_EQ(recorder.states(),
            (std::vector<std::string>{"START_PENDING", "RUNNING",
                                      "STOP_PENDING", "STOPPED"}));
  const auto reports = recorder.reports();
  EXPECT_EQ(reports.front().checkpoint, 1u);
  EXPECT_EQ(reports.front().wait_hint, absl::Seconds(7));
  EXPECT_FALSE(reports.front().accepts_stop);
  for (const auto& r : reports) {
    EXPECT_EQ(r.accepts_stop, r.state == v1::SERVICE_STATE_RUNNING);
    if (r.state == v1::SERVICE_STATE_STOP_PENDING) {
      EXPECT_EQ(r.wait_hint, absl::Seconds(9));
      EXPECT_GE(r.checkpoint, 1u);
    }
  }
  EXPECT_TRUE(reports.back().exit_status.ok());
  EXPECT_EQ(reports.back().checkpoint, 0u);
  EXPECT_EQ(ServiceExitCode(reports.back().exit_status), 0u);

  ASSERT_GE(log.size(), 3u);
  EXPECT_EQ(log[0], "running");
  EXPECT_EQ(log[1], "stop requested by the test; stopping");
  EXPECT_EQ(log[2], "stopped");
}

TEST(ServiceLifecycle, PrepareFailureStopsWithoutRunning) {
  FakeBody body;
  body.prepare_result = absl::InvalidArgumentError(
      "GPO setting ServerAddress (HKLM\\...) is missing");
  Recorder recorder;
  std::vector<std::string> log;
  ServiceLifecycle lifecycle(body, recorder.reporter(), FastOptions(&log));
  absl::Status result = lifecycle.Execute();
  EXPECT_TRUE(absl::IsInvalidArgument(result));
  EXPECT_EQ(body.run_calls, 0);
  EXPECT_EQ(recorder.states(),
            (std::vector<std::string>{"START_PENDING", "STOPPED"}));
  EXPECT_EQ(ServiceExitCode(recorder.reports().back().exit_status), 3u);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log[0],
            "cannot start: GPO setting ServerAddress (HKLM\\...) is missing");
}

TEST(ServiceLifecycle, RunFailureIsTheExitStatus) {
  FakeBody body;
  body.run_returns_immediately = true;
  body.run_result = absl::UnauthenticatedError("enrollment refused");
  Recorder recorder;
  ServiceLifecycle lifecycle(body, recorder.reporter(), FastOptions());
  absl::Status result = lifecycle.Execute();
  EXPECT_TRUE(absl::IsUnauthenticated(result));
  EXPECT_EQ(recorder.states(),
            (std::vector<std::string>{"START_PENDING", "RUNNING", "STOPPED"}));
  EXPECT_EQ(ServiceExitCode(recorder.reports().back().exit_status), 16u);
  // A stop after the end changes nothing.
  lifecycle.RequestStop("late");
  EXPECT_EQ(recorder.states().back(), "STOPPED");
}

TEST(ServiceLifecycle, SlowStopKeepsReportingProgress) {
  FakeBody body;
  body.linger_after_stop = absl::Milliseconds(300);
  Recorder recorder;
  ServiceLifecycle lifecycle(body, recorder.reporter(), FastOptions());
  std::thread t([&] { ASSERT_TRUE(lifecycle.Execute().ok()); });
  body.running.WaitForNotification();
  lifecycle.RequestStop("stop");
  t.join();
  uint32_t last = 0;
  int stop_pending_reports = 0;
  for (const auto& r : recorder.reports()) {
    if (r.state != v1::SERVICE_STATE_STOP_PENDING) continue;
    ++stop_pending_reports;
    EXPECT_GT(r.checkpoint, last);
    last = r.checkpoint;
  }
  EXPECT_GE(stop_pending_reports, 3);
}

TEST(ServiceLifecycle, StopDuringStartSkipsRun) {
  absl::Notification release;
  FakeBody body;
  body.block_prepare_until = &release;
  Recorder recorder;
  ServiceLifecycle lifecycle(body, recorder.reporter(), FastOptions());
  absl::Status result = absl::UnknownError("not run");
  std::thread t([&] { result = lifecycle.Execute(); });
  // A few START_PENDING heartbeats first.
  ASSERT_TRUE(mdefleet::testing::Eventually(
      [&] { return recorder.reports().size() >= 3; }));
  lifecycle.RequestStop("Ctrl+C");
  release.Notify();
  t.join();
  EXPECT_TRUE(result.ok()) << result;
  EXPECT_EQ(body.run_calls, 0);
  EXPECT_EQ(recorder.states(),
            (std::vector<std::string>{"START_PENDING", "STOPPED"}));
  // START_PENDING was re-announced with growing checkpoints.
  const auto reports = recorder.reports();
  ASSERT_GE(reports.size(), 3u);
  EXPECT_GT(reports[1].checkpoint, reports[0].checkpoint);
}

TEST(ServiceLifecycle, ExecuteTwiceIsRefused) {
  FakeBody body;
  body.run_returns_immediately = true;
  Recorder recorder;
  ServiceLifecycle lifecycle(body, recorder.reporter(), FastOptions());
  EXPECT_TRUE(lifecycle.Execute().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(lifecycle.Execute()));
  EXPECT_EQ(body.prepare_calls, 1);
}

}  // namespace
}  // namespace mdefleet::runner

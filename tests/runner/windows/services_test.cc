// Service states from the real service control manager. Under Wine there is
// no Sense service (the Defender sensor ships with Windows Server 2019+ or
// md4ws.msi), which makes it the natural absent service; an installed one is
// a core service every Windows and every fresh Wine prefix has.
#include "runner/host/windows/services.h"

#include <windows.h>

#include <chrono>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

// Installed on Windows and in a fresh Wine prefix (`wine sc query RpcSs`);
// its state varies (Wine starts it on demand), so tests only rely on it
// being installed.
constexpr char kInstalledService[] = "RpcSs";

class ServicesTest : public ::mdefleet::testing::WindowsHostTest {
 protected:
  void Configure(WindowsHostOptions& options) override {
    options.service_poll_interval = absl::Milliseconds(50);
  }
};

TEST(ServiceStateFromWin32, MapsEveryState) {
  EXPECT_EQ(ServiceStateFromWin32(SERVICE_STOPPED), v1::SERVICE_STATE_STOPPED);
  EXPECT_EQ(ServiceStateFromWin32(SERVICE_START_PENDING),
            v1::SERVICE_STATE_START_PENDING);
  EXPECT_EQ(ServiceStateFromWin32(SERVICE_STOP_PENDING),
            v1::SERVICE_STATE_STOP_PENDING);
  EXPECT_EQ(ServiceStateFromWin32(SERVICE_RUNNING), v1::SERVICE_STATE_RUNNING);
  EXPECT_EQ(ServiceStateFromWin32(SERVICE_PAUSED), v1::SERVICE_STATE_OTHER);
  EXPECT_EQ(ServiceStateFromWin32(SERVICE_PAUSE_PENDING),
            v1::SERVICE_STATE_OTHER);
  EXPECT_EQ(ServiceStateFromWin32(SERVICE_CONTINUE_PENDING),
            v1::SERVICE_STATE_OTHER);
  EXPECT_EQ(ServiceStateFromWin32(99), v1::SERVICE_STATE_OTHER);
}

TEST_F(ServicesTest, MissingServicesAreAbsent) {
  EXPECT_EQ(*host_->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
  EXPECT_EQ(*host_->QueryService(testing::UniqueName("NoSuchService")),
            v1::SERVICE_STATE_ABSENT);
}

TEST_F(ServicesTest, InstalledServiceHasAState) {
  auto state = host_->QueryService(kInstalledService);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_THAT(*state,
              AnyOf(v1::SERVICE_STATE_STOPPED, v1::SERVICE_STATE_START_PENDING,
                    v1::SERVICE_STATE_STOP_PENDING, v1::SERVICE_STATE_RUNNING));
  // The SCM compares names case-insensitively.
  auto lower = host_->QueryService("rpcss");
  ASSERT_TRUE(lower.ok());
  EXPECT_NE(*lower, v1::SERVICE_STATE_ABSENT);
}

TEST_F(ServicesTest, MalformedNamesAreInvalidArgument) {
  for (const char* bad : {"", "a/b", "a\\b"}) {
    EXPECT_EQ(host_->QueryService(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(ServicesTest, WaitReturnsAtOnceWhenTheStateHolds) {
  const auto start = std::chrono::steady_clock::now();
  auto state = host_->WaitServiceState("Sense", v1::SERVICE_STATE_ABSENT,
                                       absl::Seconds(30));
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(*state, v1::SERVICE_STATE_ABSENT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(ServicesTest, WaitTimesOutNamingTheObservedState) {
  const auto start = std::chrono::steady_clock::now();
  auto state = host_->WaitServiceState("Sense", v1::SERVICE_STATE_RUNNING,
                                       absl::Milliseconds(400));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(state.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(state.status().message(),
              HasSubstr("service Sense is ABSENT, not RUNNING (waited 400ms)"));
  // It waited the whole timeout, polling, and not much longer.
  EXPECT_GE(elapsed, std::chrono::milliseconds(400));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(ServicesTest, WaitOnAnInstalledServiceForAStateItDoesNotReach) {
  // STOP_PENDING is a transition no idle service sits in.
  auto state =
      host_->WaitServiceState(kInstalledService, v1::SERVICE_STATE_STOP_PENDING,
                              absl::Milliseconds(300));
  EXPECT_EQ(state.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(state.status().message(),
              HasSubstr(absl::StrCat("service ", kInstalledService, " is ")));
  EXPECT_THAT(state.status().message(), HasSubstr("not STOP_PENDING"));
}

}  // namespace
}  // namespace mdefleet::runner::win

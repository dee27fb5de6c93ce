// How many WatchJob streams may be open: per token and in all
// (service::StreamSlots), and JobHandlers::WatchJob holding to them.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/service/stream_slots.h"
#include "tests/server/service/admin/admin_handlers_fixture.h"
#include "tests/testing/eventually.h"

namespace mdefleet::testing {
namespace {

// Each open WatchJob holds a server thread: one token gets at most 8 at
// once (the default), another token is not affected, and a closed stream
// gives its place back.
TEST_F(AdminHandlersTest, WatchJobStreamsPerTokenAreCapped) {
  auto submitted =
      env_.admin().jobs().SubmitJob(env_.admin_bearer(), Onboard());
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  v1::WatchJobRequest watch;
  watch.set_job_id(submitted->job().id());
  std::atomic<bool> close{false};
  auto watch_once = [&](const std::string& bearer) {
    return env_.admin().jobs().WatchJob(
        bearer, watch, [](const v1::Job&) { return true; },
        [&] { return close.load(); });
  };
  const int kPerToken = service::StreamLimits{}.per_credential;
  std::vector<std::thread> watchers;
  std::vector<absl::Status> ended(kPerToken + 1);
  for (int i = 0; i < kPerToken; ++i) {
    watchers.emplace_back(
        [&, i] { ended[i] = watch_once(env_.admin_bearer()); });
  }
  ASSERT_TRUE(Eventually(
      [&] { return env_.admin().jobs().open_watch_streams() >= kPerToken; }));
  ASSERT_EQ(env_.admin().jobs().open_watch_streams(), kPerToken);
  absl::Status refused = watch_once(env_.admin_bearer());
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(
      std::string(refused.message()),
      ::testing::AllOf(::testing::HasSubstr("already has 8 open"),
                       ::testing::HasSubstr("--max-watch-streams-per-token")));
  // Another token has its own places.
  v1::CreateTokenRequest create;
  create.set_name("dashboard");
  create.set_role(v1::ROLE_VIEWER);
  auto viewer = env_.admin().access().CreateToken(env_.admin_bearer(), create);
  ASSERT_TRUE(viewer.ok()) << viewer.status();
  watchers.emplace_back([&] {
    ended[kPerToken] = watch_once(absl::StrCat("Bearer ", viewer->value()));
  });
  EXPECT_TRUE(Eventually([&] {
    return env_.admin().jobs().open_watch_streams() >= kPerToken + 1;
  }));
  EXPECT_EQ(env_.admin().jobs().open_watch_streams(), kPerToken + 1);
  // The clients go away: every place is given back.
  close = true;
  for (std::thread& t : watchers) t.join();
  for (const absl::Status& status : ended) {
    EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  }
  EXPECT_EQ(env_.admin().jobs().open_watch_streams(), 0);
  close = false;
  std::thread again([&] { ended[0] = watch_once(env_.admin_bearer()); });
  EXPECT_TRUE(Eventually(
      [&] { return env_.admin().jobs().open_watch_streams() >= 1; }));
  EXPECT_EQ(env_.admin().jobs().open_watch_streams(), 1);
  close = true;
  again.join();
  EXPECT_EQ(ended[0].code(), absl::StatusCode::kCancelled);
}

TEST(StreamSlotsTest, PerKeyAndTotalLimits) {
  service::StreamSlots slots({.per_credential = 2, .total = 3}, "WatchJob",
                             "--per", "--total");
  std::vector<service::StreamSlots::Slot> held;
  for (int i = 0; i < 2; ++i) {
    auto slot = slots.Acquire("a", "token \"a\"");
    ASSERT_TRUE(slot.ok());
    held.push_back(*std::move(slot));
  }
  auto third = slots.Acquire("a", "token \"a\"");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(third.status().message()),
              ::testing::HasSubstr("token \"a\" already has 2 open WatchJob "
                                   "streams"));
  auto b = slots.Acquire("b", "token \"b\"");
  ASSERT_TRUE(b.ok());
  auto c = slots.Acquire("c", "token \"c\"");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(c.status().message()),
              ::testing::HasSubstr("serves 3 WatchJob streams"));
  EXPECT_THAT(std::string(c.status().message()),
              ::testing::HasSubstr("--total"));
  EXPECT_EQ(slots.open(), 3);
  held.clear();
  EXPECT_EQ(slots.open(), 1);
  EXPECT_TRUE(slots.Acquire("c", "token \"c\"").ok());
  EXPECT_EQ(slots.open(), 1) << "a temporary slot is given back at once";
  service::StreamSlots unlimited({.per_credential = 0, .total = 0}, "W", "",
                                 "");
  std::vector<service::StreamSlots::Slot> many;  // destroyed first
  for (int i = 0; i < 100; ++i) {
    many.push_back(*unlimited.Acquire("a", "a"));
  }
  EXPECT_EQ(unlimited.open(), 100);
}

}  // namespace
}  // namespace mdefleet::testing

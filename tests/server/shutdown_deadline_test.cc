// The deadline fires when the stop outlasts it and never after it was
// disarmed; both without sleeping to synchronise.
#include "server/service/shutdown_deadline.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace mdefleet::service {
namespace {

TEST(ShutdownDeadlineTest, ExpiresWhenTheStopOutlastsTheGrace) {
  absl::Notification expired;
  ShutdownDeadline deadline(absl::Milliseconds(1),
                            [&expired](absl::Duration) { expired.Notify(); });
  EXPECT_TRUE(expired.WaitForNotificationWithTimeout(absl::Seconds(30)));
}

TEST(ShutdownDeadlineTest, DisarmedBeforeTheGraceNeverExpires) {
  std::atomic<int> expiries{0};
  {
    ShutdownDeadline deadline(absl::Hours(1),
                              [&expiries](absl::Duration) { ++expiries; });
    deadline.Disarm();
  }  // joins the thread: it has returned without running the expiry
  EXPECT_EQ(expiries.load(), 0);
}

TEST(ShutdownDeadlineTest, DestroyedBeforeTheGraceNeverExpires) {
  std::atomic<int> expiries{0};
  {
    ShutdownDeadline deadline(absl::Hours(1),
                              [&expiries](absl::Duration) { ++expiries; });
  }
  EXPECT_EQ(expiries.load(), 0);
}

}  // namespace
}  // namespace mdefleet::service

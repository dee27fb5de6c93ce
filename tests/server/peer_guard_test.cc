#include "server/service/peer_guard.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::service {
namespace {

using testing::FakeClock;
using ::testing::HasSubstr;
using testing::TestEpoch;

const absl::Status kUnauthenticated = absl::UnauthenticatedError("no");

TEST(PeerKeyTest, DropsThePortAndGroupsIpv6ByItsSlash64) {
  EXPECT_EQ(PeerKey("ipv4:10.0.0.5:51234"), "10.0.0.5");
  EXPECT_EQ(PeerKey("ipv4:10.0.0.5:443"), PeerKey("ipv4:10.0.0.5:60000"));
  EXPECT_EQ(PeerKey("ipv6:[fd00:1:2:3:4:5:6:7]:443"), "fd00:1:2:3::/64");
  EXPECT_EQ(PeerKey("ipv6:[fd00:1:2:3:ffff::9]:1"), "fd00:1:2:3::/64");
  EXPECT_NE(PeerKey("ipv6:[fd00:1:2:4::1]:1"), "fd00:1:2:3::/64");
  EXPECT_EQ(PeerKey("ipv6:[::ffff:10.0.0.7]:9"), "10.0.0.7");
  // What gRPC actually writes: a URI, brackets percent-encoded.
  EXPECT_EQ(PeerKey("ipv6:%5Bfd00:1:2:3:4:5:6:7%5D:443"), "fd00:1:2:3::/64");
  EXPECT_EQ(PeerKey("ipv6:%5Bfe80::1%25eth0%5D:9"), "fe80::/64");
  EXPECT_EQ(PeerKey("ipv6:%5B::ffff:10.0.0.7%5D:9"), "10.0.0.7");
  EXPECT_EQ(PeerKey("ipv6:not-an-address"), "not-an-address");
  EXPECT_EQ(PeerKey("unix:/run/mdefleet.sock"), "unix:/run/mdefleet.sock");
}

TEST(PeerGuardTest, FailedAuthenticationsUseUpTheBudgetAndItRefills) {
  FakeClock clock(TestEpoch());
  PeerGuard guard(clock, {.enrollments_per_minute = 0,
                          .auth_failures_per_minute = 3,
                          .max_peers = 100});
  const std::string peer = "ipv4:192.0.2.1:1000";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(guard.Admit(peer).ok()) << i;
    guard.Observe(absl::StrCat("ipv4:192.0.2.1:", 2000 + i), kUnauthenticated);
  }
  absl::Status refused = guard.Admit(peer);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("192.0.2.1: retry in 20 s"));
  // Another address is not affected; other outcomes cost nothing.
  EXPECT_TRUE(guard.Admit("ipv4:192.0.2.2:1").ok());
  guard.Observe("ipv4:192.0.2.2:1", absl::PermissionDeniedError("role"));
  guard.Observe("ipv4:192.0.2.2:1", absl::OkStatus());
  EXPECT_TRUE(guard.Admit("ipv4:192.0.2.2:1").ok());
  // 3 per minute: one more every 20 s.
  clock.Advance(absl::Seconds(19));
  EXPECT_FALSE(guard.Admit(peer).ok());
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(guard.Admit(peer).ok());
  guard.Observe(peer, kUnauthenticated);
  EXPECT_FALSE(guard.Admit(peer).ok());
  // A quiet minute restores the whole burst, and no more.
  clock.Advance(absl::Minutes(10));
  for (int i = 0; i < 3; ++i) guard.Observe(peer, kUnauthenticated);
  EXPECT_FALSE(guard.Admit(peer).ok());
}

TEST(PeerGuardTest, EnrollmentsCountEveryCall) {
  FakeClock clock(TestEpoch());
  PeerGuard guard(clock, {.enrollments_per_minute = 2,
                          .auth_failures_per_minute = 10,
                          .max_peers = 100});
  EXPECT_TRUE(guard.AdmitEnrollment("ipv4:192.0.2.1:1").ok());
  EXPECT_TRUE(guard.AdmitEnrollment("ipv4:192.0.2.1:2").ok());
  absl::Status refused = guard.AdmitEnrollment("ipv4:192.0.2.1:3");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("--max-enrollments-per-minute"));
  EXPECT_TRUE(guard.Admit("ipv4:192.0.2.1:4").ok());  // other calls go on
  EXPECT_TRUE(guard.AdmitEnrollment("ipv4:192.0.2.9:1").ok());
}

TEST(PeerGuardTest, ZeroMeansNoLimit) {
  FakeClock clock(TestEpoch());
  PeerGuard guard(clock, {.enrollments_per_minute = 0,
                          .auth_failures_per_minute = 0,
                          .max_peers = 100});
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(guard.AdmitEnrollment("ipv4:127.0.0.1:1").ok());
    guard.Observe("ipv4:127.0.0.1:1", kUnauthenticated);
  }
}

TEST(PeerGuardTest, ManyAddressesShareOneBucketOnceTheTableIsFull) {
  FakeClock clock(TestEpoch());
  PeerGuard guard(clock, {.enrollments_per_minute = 0,
                          .auth_failures_per_minute = 1,
                          .max_peers = 4});
  // Four addresses use up their budgets and fill the table.
  for (int i = 0; i < 4; ++i) {
    guard.Observe(absl::StrCat("ipv4:198.51.100.", i, ":1"), kUnauthenticated);
  }
  // A fifth and sixth share the overflow bucket: the flood is still limited.
  guard.Observe("ipv4:198.51.100.200:1", kUnauthenticated);
  EXPECT_FALSE(guard.Admit("ipv4:198.51.100.201:1").ok());
  // Once the others are idle (full again) they are forgotten, making room.
  clock.Advance(absl::Minutes(2));
  EXPECT_TRUE(guard.Admit("ipv4:198.51.100.202:1").ok());
  guard.Observe("ipv4:198.51.100.202:1", kUnauthenticated);
  EXPECT_TRUE(guard.Admit("ipv4:198.51.100.203:1").ok());
}

}  // namespace
}  // namespace mdefleet::service

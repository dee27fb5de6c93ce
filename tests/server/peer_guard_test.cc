#include "server/service/peer_guard.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::service {
namespace {

using testing::FakeClock;
using ::testing::HasSubstr;
using ::testing::Not;
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

const absl::Status kOk = absl::OkStatus();

// A guard whose log lines are kept for the test.
struct Guarded {
  explicit Guarded(PeerLimits limits)
      : log(clock, "callers over their budgets", 100, absl::Minutes(1),
            [this](absl::string_view line) { lines.emplace_back(line); }),
        guard(clock, limits, &log) {}
  FakeClock clock{TestEpoch()};
  std::vector<std::string> lines;
  LogLimiter log;
  PeerGuard guard;
};

std::string Bearer(absl::string_view token) {
  return absl::StrCat("Bearer ", token);
}

TEST(PeerGuardTest, FailedAuthenticationsUseUpTheBudgetAndItRefills) {
  Guarded g({.enrollments_per_minute = 0,
             .auth_failures_per_minute = 3,
             .max_peers = 100});
  PeerGuard& guard = g.guard;
  const std::string peer = "ipv4:192.0.2.1:1000";
  // Each guess has its own credential: only the address budget counts.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(guard
                  .Judge(absl::StrCat("ipv4:192.0.2.1:", 2000 + i),
                         Bearer(absl::StrCat("guess", i)), CallKind::kApi,
                         kUnauthenticated)
                  .code(),
              absl::StatusCode::kUnauthenticated)
        << i;
  }
  absl::Status refused =
      guard.Judge(peer, Bearer("guess9"), CallKind::kApi, kUnauthenticated);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("from 192.0.2.1: retry in 20 s"));
  EXPECT_THAT(refused.message(), HasSubstr("--max-auth-failures-per-minute"));
  EXPECT_THAT(refused.message(), Not(HasSubstr("guess9")));
  ASSERT_EQ(g.lines.size(), 1u);
  EXPECT_THAT(g.lines[0],
              HasSubstr("address 192.0.2.1: 3 failed authentications within "
                        "a minute"));
  // Another address is not affected; other outcomes cost nothing.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(guard
                  .Judge("ipv4:192.0.2.2:1", Bearer("viewer"), CallKind::kApi,
                         absl::PermissionDeniedError("authorization: role"))
                  .code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(guard
                  .Judge("ipv4:192.0.2.2:1", Bearer("x"), CallKind::kApi,
                         absl::NotFoundError("job_id"))
                  .code(),
              absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(guard
                .Judge("ipv4:192.0.2.2:1", Bearer("other"), CallKind::kApi,
                       kUnauthenticated)
                .code(),
            absl::StatusCode::kUnauthenticated);
  // 3 per minute: one more every 20 s.
  g.clock.Advance(absl::Seconds(19));
  EXPECT_EQ(
      guard.Judge(peer, Bearer("a"), CallKind::kApi, kUnauthenticated).code(),
      absl::StatusCode::kResourceExhausted);
  g.clock.Advance(absl::Seconds(2));
  EXPECT_EQ(
      guard.Judge(peer, Bearer("b"), CallKind::kApi, kUnauthenticated).code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(
      guard.Judge(peer, Bearer("c"), CallKind::kApi, kUnauthenticated).code(),
      absl::StatusCode::kResourceExhausted);
  // A quiet minute restores the whole burst, and no more.
  g.clock.Advance(absl::Minutes(10));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(guard.Judge(peer, "", CallKind::kApi, kUnauthenticated).code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(guard.Judge(peer, "", CallKind::kApi, kUnauthenticated).code(),
            absl::StatusCode::kResourceExhausted);
}

// The case: behind one NAT address a guesser uses up the address's
// budget; an admin and a runner with valid credentials at the same address
// are never refused, and their successes cost nothing.
TEST(PeerGuardTest, AGuesserAndAGoodClientBehindOneAddress) {
  Guarded g({.enrollments_per_minute = 5,
             .auth_failures_per_minute = 5,
             .max_peers = 100});
  PeerGuard& guard = g.guard;
  const std::string nat = "ipv4:203.0.113.7:";
  int good_calls = 0;
  int guesses_answered = 0;
  for (int second = 0; second < 120; ++second) {
    // The guesser: ten guesses a second, each a new made-up token.
    for (int i = 0; i < 10; ++i) {
      const absl::Status answer =
          guard.Run(absl::StrCat(nat, 40000 + i),
                    Bearer(absl::StrCat("mdf_api_guess", second, "_", i)),
                    CallKind::kApi, [] { return kUnauthenticated; });
      if (answer.code() == absl::StatusCode::kUnauthenticated) {
        ++guesses_answered;
      } else {
        EXPECT_EQ(answer.code(), absl::StatusCode::kResourceExhausted);
      }
    }
    // The admin and the runner: their calls succeed and stay successes.
    absl::StatusOr<int> admin =
        guard.Run(absl::StrCat(nat, 50000), Bearer("mdf_api_admin"),
                  CallKind::kApi, []() -> absl::StatusOr<int> { return 1; });
    ASSERT_TRUE(admin.ok()) << second;
    absl::StatusOr<int> poll =
        guard.Run(absl::StrCat(nat, 50001), Bearer("mdf_dev_runner"),
                  CallKind::kDevice, []() -> absl::StatusOr<int> { return 2; });
    ASSERT_TRUE(poll.ok()) << second;
    absl::Status enrolled =
        guard.Run(absl::StrCat(nat, 50002 + second), Bearer("mdf_enroll_good"),
                  CallKind::kEnrollment, [] { return kOk; });
    ASSERT_TRUE(enrolled.ok()) << second;
    good_calls += 3;
    g.clock.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(good_calls, 360);
  // The guesser got its burst and then one answer per refilled token.
  EXPECT_LE(guesses_answered, 5 + 120 * 5 / 60 + 1);
  // The guesser's address was logged (rate-limited), never its guesses.
  ASSERT_FALSE(g.lines.empty());
  EXPECT_THAT(g.lines[0], HasSubstr("address 203.0.113.7: 5 failed "
                                    "authentications within a minute"));
  for (const std::string& line : g.lines) {
    EXPECT_THAT(line, Not(HasSubstr("guess")));
  }
}

// A revoked runner hammering with its token uses up that token's budget,
// wherever it calls from, while another device at its address goes on.
TEST(PeerGuardTest, ACredentialThatKeepsFailingUsesUpItsOwnBudget) {
  Guarded g({.enrollments_per_minute = 0,
             .auth_failures_per_minute = 4,
             .max_peers = 100});
  PeerGuard& guard = g.guard;
  const absl::Status revoked = absl::PermissionDeniedError(
      "authorization: device dev-1 was revoked by an admin; it gets no work");
  // Four addresses, one token: the address budgets stay fresh.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(guard
                  .Judge(absl::StrCat("ipv4:198.51.100.", i, ":1"),
                         Bearer("mdf_dev_revoked"), CallKind::kDevice, revoked)
                  .code(),
              absl::StatusCode::kPermissionDenied)
        << i;
  }
  absl::Status refused =
      guard.Judge("ipv4:198.51.100.9:1", Bearer("mdf_dev_revoked"),
                  CallKind::kDevice, revoked);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("with this credential: retry in"));
  EXPECT_THAT(refused.message(), Not(HasSubstr("mdf_dev_revoked")));
  // Another token failing at one of those addresses is answered as itself.
  EXPECT_EQ(guard
                .Judge("ipv4:198.51.100.0:2", Bearer("mdf_dev_other"),
                       CallKind::kDevice, kUnauthenticated)
                .code(),
            absl::StatusCode::kUnauthenticated);
  // A valid device at the address of the revoked one.
  absl::StatusOr<int> good =
      guard.Run("ipv4:198.51.100.0:3", Bearer("mdf_dev_good"),
                CallKind::kDevice, []() -> absl::StatusOr<int> { return 7; });
  EXPECT_TRUE(good.ok());
  // The log names the credential by a hash prefix, never by its value.
  ASSERT_EQ(g.lines.size(), 1u);
  EXPECT_THAT(g.lines[0], HasSubstr("credential sha256:"));
  EXPECT_THAT(g.lines[0], Not(HasSubstr("mdf_dev_revoked")));
}

TEST(PeerGuardTest, WhatEachKindOfCallCounts) {
  Guarded g({.enrollments_per_minute = 0,
             .auth_failures_per_minute = 1,
             .max_peers = 100});
  PeerGuard& guard = g.guard;
  const absl::Status role_too_low = absl::PermissionDeniedError(
      "authorization: ListAuditLog needs the admin role");
  // An API token with a role too low is a valid credential: not counted.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(guard
                  .Judge("ipv4:192.0.2.5:1", Bearer("viewer"), CallKind::kApi,
                         role_too_low)
                  .code(),
              absl::StatusCode::kPermissionDenied);
  }
  // A device's own refusals that are not about its credential: not counted.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(guard
                  .Judge("ipv4:192.0.2.6:1", Bearer("dev"), CallKind::kDevice,
                         absl::PermissionDeniedError(
                             "artifact_id: task t does not use artifact a"))
                  .code(),
              absl::StatusCode::kPermissionDenied);
  }
}

TEST(PeerGuardTest, OnlyFailedEnrollmentsCount) {
  Guarded g({.enrollments_per_minute = 2,
             .auth_failures_per_minute = 10,
             .max_peers = 100});
  PeerGuard& guard = g.guard;
  // A NAT'd site enrolling hundreds of servers with a valid secret.
  for (int i = 0; i < 500; ++i) {
    EXPECT_TRUE(guard
                    .Judge(absl::StrCat("ipv4:192.0.2.1:", i),
                           Bearer("mdf_enroll_site"), CallKind::kEnrollment,
                           kOk)
                    .ok());
  }
  // A misconfigured runner sending refused facts: two, then backs off.
  const absl::Status bad_facts =
      absl::InvalidArgumentError("facts.hostname: required");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(guard
                  .Judge("ipv4:192.0.2.1:1", Bearer("mdf_enroll_site"),
                         CallKind::kEnrollment, bad_facts)
                  .code(),
              absl::StatusCode::kInvalidArgument);
  }
  absl::Status refused =
      guard.Judge("ipv4:192.0.2.1:1", Bearer("mdf_enroll_site"),
                  CallKind::kEnrollment, bad_facts);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("--max-enrollments-per-minute"));
  // Valid enrollments from that address still go through.
  EXPECT_TRUE(guard
                  .Judge("ipv4:192.0.2.1:2", Bearer("mdf_enroll_site"),
                         CallKind::kEnrollment, kOk)
                  .ok());
  // Non-enrollment failures of the address are answered as themselves.
  EXPECT_EQ(guard
                .Judge("ipv4:192.0.2.1:4", Bearer("mdf_api_x"), CallKind::kApi,
                       kUnauthenticated)
                .code(),
            absl::StatusCode::kUnauthenticated);
  // Server-side failures are not the caller's.
  EXPECT_EQ(
      guard
          .Judge("ipv4:192.0.2.9:1", Bearer("mdf_enroll_site2"),
                 CallKind::kEnrollment, absl::UnavailableError("database busy"))
          .code(),
      absl::StatusCode::kUnavailable);
}

TEST(PeerGuardTest, ZeroMeansNoLimit) {
  Guarded g({.enrollments_per_minute = 0,
             .auth_failures_per_minute = 0,
             .max_peers = 100});
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(g.guard
                  .Judge("ipv4:127.0.0.1:1", Bearer("x"), CallKind::kEnrollment,
                         kUnauthenticated)
                  .code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_TRUE(g.lines.empty());
}

TEST(PeerGuardTest, ManyAddressesShareOneBucketOnceTheTableIsFull) {
  Guarded g({.enrollments_per_minute = 0,
             .auth_failures_per_minute = 1,
             .max_peers = 4});
  PeerGuard& guard = g.guard;
  auto fail = [&](absl::string_view address) {
    return guard
        .Judge(absl::StrCat("ipv4:", address, ":1"), "", CallKind::kApi,
               kUnauthenticated)
        .code();
  };
  // Four addresses use up their budgets and fill the table.
  for (int i = 0; i < 4; ++i) fail(absl::StrCat("198.51.100.", i));
  // A fifth and sixth share the overflow bucket: the flood is still limited.
  EXPECT_EQ(fail("198.51.100.200"), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(fail("198.51.100.201"), absl::StatusCode::kResourceExhausted);
  // Once the others are idle (full again) they are forgotten, making room.
  g.clock.Advance(absl::Minutes(2));
  EXPECT_EQ(fail("198.51.100.202"), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(fail("198.51.100.203"), absl::StatusCode::kUnauthenticated);
}

// Made-up credentials cannot grow the credential table without bound.
TEST(PeerGuardTest, ManyCredentialsShareOneBucketOnceTheTableIsFull) {
  Guarded g({.enrollments_per_minute = 0,
             .auth_failures_per_minute = 1,
             .max_peers = 3});
  PeerGuard& guard = g.guard;
  for (int i = 0; i < 1000; ++i) {
    (void)guard.Judge(absl::StrCat("ipv4:10.0.", i / 250, ".", i % 250, ":1"),
                      Bearer(absl::StrCat("guess", i)), CallKind::kApi,
                      kUnauthenticated);
  }
  // Bounded: the log says so at a bounded rate too.
  EXPECT_LE(g.lines.size(), 100u + 2u);
}

TEST(LogLimiterTest, AtMostNLinesPerIntervalThenOneSummary) {
  FakeClock clock(TestEpoch());
  std::vector<std::string> lines;
  LogLimiter log(clock, "unauthenticated calls", 3, absl::Seconds(10),
                 [&](absl::string_view line) { lines.emplace_back(line); });
  for (int i = 0; i < 1000; ++i) log.Log(absl::StrCat("garbage ", i));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "garbage 0");
  EXPECT_EQ(lines[2], "garbage 2");
  EXPECT_THAT(lines[3], HasSubstr("more than 3 log lines about "
                                  "unauthenticated calls within 10s"));
  EXPECT_THAT(lines[3], HasSubstr("suppressed until"));
  clock.Advance(absl::Seconds(9));
  log.Log("still suppressed");
  EXPECT_EQ(lines.size(), 4u);
  clock.Advance(absl::Seconds(1));
  log.Log("next interval");
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_THAT(lines[4], HasSubstr("998 log line(s) about unauthenticated "
                                  "calls suppressed since"));
  EXPECT_EQ(lines[5], "next interval");
  // A quiet interval writes no summary.
  clock.Advance(absl::Seconds(30));
  log.Log("quiet");
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[6], "quiet");
}

}  // namespace
}  // namespace mdefleet::service

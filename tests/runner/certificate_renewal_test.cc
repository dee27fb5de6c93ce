// When the runner renews its client certificate: once a third of its
// lifetime is left (checked at start and between polls), never before;
// failures retried with a backoff; the new pair saved before it is used;
// an expired certificate logged once, not retried.
#include "runner/client/certificate_renewal.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::FakeClock;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// A server and a disk the renewer talks to, recording what it asked.
class RenewalWorld {
 public:
  explicit RenewalWorld(FakeClock& clock) : clock_(clock) {}

  // Certificates are "CERT <notBefore> <notAfter>" in Unix seconds.
  static std::string Certificate(absl::Time not_before, absl::Time not_after) {
    return absl::StrCat("CERT ", absl::ToUnixSeconds(not_before), " ",
                        absl::ToUnixSeconds(not_after));
  }

  RenewalHooks Hooks() {
    RenewalHooks hooks;
    hooks.make_key = [this](const std::string& name) {
      ++keys_made;
      return ClientKeyRequest{absl::StrCat("KEY-", keys_made),
                              absl::StrCat("CSR for ", name)};
    };
    hooks.renew = [this](const std::string&) -> absl::StatusOr<std::string> {
      ++renew_calls;
      if (!server_answer.ok()) return server_answer;
      return Certificate(clock_.Now(), clock_.Now() + lifetime);
    };
    hooks.validity =
        [](const std::string& pem) -> absl::StatusOr<CertificateValidity> {
      std::vector<std::string> parts = absl::StrSplit(pem, ' ');
      int64_t from = 0, to = 0;
      if (parts.size() != 3 || parts[0] != "CERT" ||
          !absl::SimpleAtoi(parts[1], &from) ||
          !absl::SimpleAtoi(parts[2], &to)) {
        return absl::InvalidArgumentError("not a certificate");
      }
      return CertificateValidity{absl::FromUnixSeconds(from),
                                 absl::FromUnixSeconds(to)};
    };
    hooks.save = [this](const ClientCertificate& certificate) {
      events.push_back(absl::StrCat("save ", certificate.key_pem));
      return save_result;
    };
    hooks.use = [this](const ClientCertificate& certificate) {
      events.push_back(absl::StrCat("use ", certificate.key_pem));
    };
    hooks.log = [this](absl::string_view line) { log.emplace_back(line); };
    return hooks;
  }

  absl::Duration lifetime = absl::Hours(24 * 366);
  absl::Status server_answer = absl::OkStatus();
  absl::Status save_result = absl::OkStatus();
  int keys_made = 0;
  int renew_calls = 0;
  std::vector<std::string> events;
  std::vector<std::string> log;

 private:
  FakeClock& clock_;
};

TEST(RenewalTimeTest, WhenAThirdOfTheLifetimeIsLeft) {
  EXPECT_EQ(RenewalTime({kStart, kStart + absl::Hours(30)}),
            kStart + absl::Hours(20));
  // A year and the server's hour of backdating.
  const absl::Time issued = kStart;
  EXPECT_EQ(
      RenewalTime({issued - absl::Hours(1), issued + absl::Hours(24 * 366)}),
      issued + absl::Hours(24 * 366) -
          (absl::Hours(24 * 366) + absl::Hours(1)) / 3);
  // Nonsense dates (notAfter before notBefore): due at notAfter.
  EXPECT_EQ(RenewalTime({kStart, kStart - absl::Hours(1)}),
            kStart - absl::Hours(1));
}

TEST(CertificateRenewerTest, RenewsOnlyOnceDueThenSavesBeforeUsing) {
  FakeClock clock(kStart);
  RenewalWorld world(clock);
  world.lifetime = absl::Hours(30);
  CertificateRenewer renewer("SIM-2019-0001", clock, world.Hooks(), 1);
  renewer.Track(RenewalWorld::Certificate(kStart, kStart + absl::Hours(30)));
  EXPECT_EQ(renewer.next_attempt(), kStart + absl::Hours(20));

  // At start and at every check before two thirds of the lifetime: nothing.
  EXPECT_FALSE(renewer.MaybeRenew());
  clock.Advance(absl::Hours(20) - absl::Seconds(1));
  EXPECT_FALSE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 0);
  EXPECT_EQ(world.keys_made, 0);

  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 1);
  EXPECT_THAT(world.events, ::testing::ElementsAre("save KEY-1", "use KEY-1"));
  ASSERT_FALSE(world.log.empty());
  EXPECT_THAT(world.log.back(), HasSubstr("renewed the client certificate"));
  EXPECT_THAT(world.log.back(), ::testing::Not(HasSubstr("KEY-1")));
  // The new certificate is tracked: due again two thirds into its lifetime.
  EXPECT_EQ(renewer.next_attempt(), clock.Now() + absl::Hours(20));
  EXPECT_FALSE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 1);
}

TEST(CertificateRenewerTest, AnOldCertificateFoundAtStartIsRenewedAtOnce) {
  FakeClock clock(kStart);
  RenewalWorld world(clock);
  CertificateRenewer renewer("SIM-2019-0001", clock, world.Hooks(), 1);
  // Issued 300 of 366 days ago (the runner was off for a while).
  renewer.Track(RenewalWorld::Certificate(kStart - absl::Hours(24 * 300),
                                          kStart + absl::Hours(24 * 66)));
  EXPECT_TRUE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 1);
}

TEST(CertificateRenewerTest, FailuresAreRetriedAfterABackoff) {
  FakeClock clock(kStart);
  RenewalWorld world(clock);
  world.server_answer = absl::UnavailableError("server unreachable");
  CertificateRenewer renewer("SIM-2019-0001", clock, world.Hooks(), 1);
  renewer.Track(RenewalWorld::Certificate(kStart - absl::Hours(20),
                                          kStart + absl::Hours(10)));
  EXPECT_FALSE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 1);
  ASSERT_FALSE(world.log.empty());
  EXPECT_THAT(world.log.back(), HasSubstr("server unreachable"));
  EXPECT_THAT(world.log.back(), HasSubstr("retrying in"));
  // Not at every poll: only once the backoff (5 to 10 s first) has passed.
  EXPECT_GT(renewer.next_attempt(), clock.Now() + absl::Seconds(4));
  EXPECT_FALSE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 1);
  clock.Advance(absl::Seconds(10));
  EXPECT_FALSE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 2);

  // A certificate that cannot be saved is not used (the server keeps
  // accepting the current one until the new one is presented).
  world.server_answer = absl::OkStatus();
  world.save_result = absl::InternalError("disk full");
  clock.Advance(absl::Minutes(10));
  EXPECT_FALSE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 3);
  EXPECT_THAT(world.events, ::testing::ElementsAre("save KEY-3"));
  world.save_result = absl::OkStatus();
  clock.Advance(absl::Minutes(10));
  EXPECT_TRUE(renewer.MaybeRenew());
  EXPECT_EQ(world.events.back(), "use KEY-4");
}

TEST(CertificateRenewerTest, AnExpiredCertificateIsLoggedOnceNotRenewed) {
  FakeClock clock(kStart);
  RenewalWorld world(clock);
  CertificateRenewer renewer("SIM-2019-0001", clock, world.Hooks(), 1);
  renewer.Track(RenewalWorld::Certificate(kStart - absl::Hours(30),
                                          kStart - absl::Seconds(1)));
  EXPECT_FALSE(renewer.MaybeRenew());
  EXPECT_FALSE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 0);
  ASSERT_EQ(world.log.size(), 1u);
  EXPECT_THAT(world.log[0], HasSubstr("expired"));
  EXPECT_THAT(world.log[0], HasSubstr("enroll again"));
  EXPECT_EQ(renewer.next_attempt(), absl::InfiniteFuture());
}

TEST(CertificateRenewerTest, NothingToRenewWithoutACertificate) {
  FakeClock clock(kStart);
  RenewalWorld world(clock);
  CertificateRenewer renewer("SIM-2019-0001", clock, world.Hooks(), 1);
  EXPECT_FALSE(renewer.MaybeRenew());  // plaintext, or never tracked
  renewer.Track("not a certificate");
  EXPECT_FALSE(renewer.MaybeRenew());
  EXPECT_EQ(world.renew_calls, 0);
  ASSERT_EQ(world.log.size(), 1u);
  EXPECT_THAT(world.log[0], HasSubstr("will not be renewed"));
}

}  // namespace
}  // namespace mdefleet::runner

// Enrollment into existing devices, without gRPC: an existing device id only
// for a caller proving it holds the device (client certificate, or on
// plaintext its current token) within its enrollment-secret scope, or after
// an admin's identity reset; any other enrollment reporting a known host
// identity gets a new device flagged duplicate_identity while the real one
// keeps working. Host identities are stored and shown as hashes only.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/device_needs.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/tls/certificate_authority.h"
#include "common/tls/client_certificate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/service/client_certificates.h"
#include "server/service/enrollment_proof.h"
#include "server/store/audit.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::mdefleet::service::PeerPresenting;
using service::PeerIdentity;
using ::testing::HasSubstr;

PeerIdentity TlsAs(const std::string& device_id) {
  return {.tls = true,
          .has_client_certificate = true,
          .certificate_device_id = device_id};
}

bool HasNeed(const v1::Device& device, absl::string_view need) {
  for (const v1::DeviceNeed& n : device.needs()) {
    if (n.need() == need) return true;
  }
  return false;
}

class EnrollmentTest : public ::testing::Test {
 protected:
  explicit EnrollmentTest(service::RunnerOptions options = {})
      : env_(WithCounter(options)) {}

  service::RunnerOptions WithCounter(service::RunnerOptions options) {
    enrollments_ = &prometheus::BuildCounter()
                        .Name("mdefleet_enrollments_total")
                        .Help("test")
                        .Register(registry_);
    options.enrollments = enrollments_;
    return options;
  }

  uint64_t Counted(absl::string_view outcome) {
    return static_cast<uint64_t>(
        enrollments_->Add({{"outcome", std::string(outcome)}}).Value());
  }

  absl::StatusOr<v1::EnrollResponse> Enroll(const v1::DeviceFacts& facts,
                                            const std::string& token = "",
                                            const PeerIdentity& peer = {},
                                            const std::string& bearer = "") {
    v1::EnrollRequest request;
    *request.mutable_facts() = facts;
    request.set_device_token(token);
    return env_.runner().Enroll(bearer.empty() ? env_.enroll_bearer() : bearer,
                                request, peer);
  }

  v1::Device Get(const std::string& id) {
    v1::GetDeviceRequest request;
    request.set_device_id(id);
    auto device =
        env_.admin().inventory().GetDevice(env_.admin_bearer(), request);
    EXPECT_TRUE(device.ok()) << device.status();
    return device.ok() ? *device : v1::Device();
  }

  std::vector<store::AuditEntry> Audit(absl::string_view target) {
    std::vector<store::AuditEntry> out;
    EXPECT_TRUE(env_.store()
                    .Read([&](store::Connection& db) -> absl::Status {
                      ASSIGN_OR_RETURN(out, store::AuditForTarget(db, target));
                      return absl::OkStatus();
                    })
                    .ok());
    return out;
  }

  // A secret scoped to `labels`; returns its "Bearer <value>".
  std::string ScopedSecret(const std::string& name,
                           std::map<std::string, std::string> labels) {
    v1::CreateEnrollmentSecretRequest request;
    request.set_name(name);
    for (const auto& [k, v] : labels) (*request.mutable_labels())[k] = v;
    auto created = env_.admin().access().CreateEnrollmentSecret(
        env_.admin_bearer(), request);
    EXPECT_TRUE(created.ok()) << created.status();
    return absl::StrCat("Bearer ", created.ok() ? created->value() : "");
  }

  absl::StatusOr<v1::Device> Reset(const std::string& id,
                                   const std::string& reason) {
    v1::ResetDeviceIdentityRequest request;
    request.set_device_id(id);
    request.set_reason(reason);
    return env_.admin().access().ResetDeviceIdentity(env_.admin_bearer(),
                                                     request);
  }

  prometheus::Registry registry_;
  prometheus::Family<prometheus::Counter>* enrollments_ = nullptr;
  TestEnv env_;
};

TEST_F(EnrollmentTest, AClaimWithoutProofGetsANewDeviceAndTheRealOneKeepsIt) {
  const v1::DeviceFacts facts = MakeFacts("DB-2016-01", "2016");
  EnrolledDevice real = env_.Enroll(facts);
  auto claim = Enroll(facts);
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_NE(claim->device_id(), real.id);
  EXPECT_EQ(env_.Count("devices"), 2);

  // The real device's token still works; it keeps its facts and labels.
  EXPECT_TRUE(env_.runner().AuthenticateDevice(real.bearer).ok());
  env_.Poll(real);
  const v1::Device kept = Get(real.id);
  EXPECT_FALSE(HasNeed(kept, "duplicate_identity"));
  EXPECT_EQ(kept.enrollment().enrollments(), 1u);
  ASSERT_EQ(kept.enrollment().refused_claims(), 1u);
  ASSERT_EQ(kept.enrollment().recent_refused_claims_size(), 1);
  const v1::RefusedClaim& refused = kept.enrollment().recent_refused_claims(0);
  EXPECT_EQ(refused.new_device_id(), claim->device_id());
  EXPECT_EQ(refused.enrollment_secret(), "runners");
  EXPECT_EQ(refused.hostname(), "DB-2016-01");
  EXPECT_THAT(refused.reason(), HasSubstr("without proving it holds"));

  // The claimant's device is flagged, with advice naming the real one.
  const v1::Device duplicate = Get(claim->device_id());
  EXPECT_EQ(duplicate.enrollment().duplicate_of(), real.id);
  ASSERT_TRUE(HasNeed(duplicate, "duplicate_identity"));
  for (const v1::DeviceNeed& need : duplicate.needs()) {
    if (need.need() != "duplicate_identity") continue;
    EXPECT_THAT(need.advice(),
                HasSubstr(absl::StrCat("devices reset-identity ", real.id)));
    EXPECT_THAT(need.advice(), HasSubstr("investigate"));
  }

  const std::vector<store::AuditEntry> audit = Audit(real.id);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "claim_host_identity");
  EXPECT_EQ(audit[0].outcome, "refused");
  EXPECT_EQ(audit[0].actor, "enrollment secret \"runners\"");
  EXPECT_EQ(audit[0].role, "enrollment");
  EXPECT_THAT(audit[0].detail, HasSubstr(claim->device_id()));
  EXPECT_EQ(Counted("new"), 1u);
  EXPECT_EQ(Counted("duplicate_identity"), 1u);

  // The flag follows the duplicate in lists and the fleet summary.
  v1::ListDevicesRequest list;
  list.set_needs("duplicate_identity");
  auto listed = env_.admin().inventory().ListDevices(env_.admin_bearer(), list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->devices_size(), 1);
  EXPECT_EQ(listed->devices(0).id(), claim->device_id());
  auto summary =
      env_.admin().inventory().GetFleetSummary(env_.admin_bearer(), {});
  ASSERT_TRUE(summary.ok());
  bool counted = false;
  for (const auto& need : summary->needs()) {
    if (need.need().need() == "duplicate_identity") {
      EXPECT_EQ(need.devices(), 1u);
      counted = true;
    }
  }
  EXPECT_TRUE(counted);

  // Revoking the duplicate clears its flag.
  v1::RevokeDeviceRequest revoke;
  revoke.set_device_id(claim->device_id());
  ASSERT_TRUE(
      env_.admin().access().RevokeDevice(env_.admin_bearer(), revoke).ok());
  EXPECT_FALSE(HasNeed(Get(claim->device_id()), "duplicate_identity"));
  // ... and does not stand in the real host's way.
  EXPECT_TRUE(env_.runner().AuthenticateDevice(real.bearer).ok());
}

TEST_F(EnrollmentTest, TheDeviceTokenProvesTheDeviceOnPlaintext) {
  const v1::DeviceFacts facts = MakeFacts("DB-2016-02", "2016");
  EnrolledDevice first = env_.Enroll(facts);
  auto again = Enroll(facts, first.token);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->device_id(), first.id);
  EXPECT_NE(again->device_token(), first.token);
  EXPECT_EQ(env_.Count("devices"), 1);
  // The old token no longer works; the stored rows never hold a token.
  EXPECT_EQ(env_.runner().AuthenticateDevice(first.bearer).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(
      env_.runner()
          .AuthenticateDevice(absl::StrCat("Bearer ", again->device_token()))
          .ok());
  EXPECT_EQ(env_.Snapshot().find(again->device_token()), std::string::npos);
  EXPECT_EQ(env_.Snapshot().find(first.token), std::string::npos);

  const v1::Device device = Get(first.id);
  EXPECT_EQ(device.enrollment().enrollments(), 2u);
  EXPECT_TRUE(device.enrollment().has_last_reenrolled_at());
  EXPECT_EQ(device.enrollment().last_reenrolled_by(), "device token");
  EXPECT_EQ(device.enrollment().refused_claims(), 0u);
  const std::vector<store::AuditEntry> audit = Audit(first.id);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "reenroll_device");
  EXPECT_EQ(audit[0].outcome, "ok");
  EXPECT_EQ(Counted("reenrolled"), 1u);
}

TEST_F(EnrollmentTest, AWrongDeviceTokenIsRefusedAndChangesNothing) {
  EnrolledDevice first = env_.Enroll(MakeFacts("DB-2016-03", "2016"));
  const std::string before = env_.Snapshot();
  for (const std::string& token :
       {std::string("mdf_dev_guessed"), std::string("not-a-token")}) {
    auto refused = Enroll(MakeFacts("DB-2016-03", "2016"), token);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(refused.status().message(), HasSubstr("device_token: not the"));
    EXPECT_THAT(refused.status().message(), ::testing::Not(HasSubstr(token)));
  }
  EXPECT_EQ(env_.Snapshot(), before);
  EXPECT_EQ(Counted("refused_proof"), 2u);
  EXPECT_TRUE(env_.runner().AuthenticateDevice(first.bearer).ok());
}

TEST_F(EnrollmentTest, ReenrollmentAcrossSecretScopesIsRefused) {
  const std::string tokyo = ScopedSecret("tokyo", {{"site", "tokyo"}});
  const std::string paris = ScopedSecret("paris", {{"site", "paris"}});
  v1::DeviceFacts facts = MakeFacts("WEB-2019-01", "2019");
  auto enrolled = Enroll(facts, "", {}, tokyo);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status();
  facts.mutable_labels()->erase("site");

  auto crossed = Enroll(facts, enrolled->device_token(), {}, paris);
  ASSERT_FALSE(crossed.ok());
  EXPECT_EQ(crossed.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(crossed.status().message(),
              HasSubstr("re-enrollment across enrollment-secret scopes"));
  EXPECT_THAT(crossed.status().message(), HasSubstr("\"paris\""));
  EXPECT_THAT(crossed.status().message(), HasSubstr("site=paris"));
  EXPECT_THAT(crossed.status().message(), HasSubstr("site=tokyo"));
  // An unscoped secret cannot lift the scope either.
  auto unscoped = Enroll(facts, enrolled->device_token());
  EXPECT_EQ(unscoped.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(unscoped.status().message(), HasSubstr("no labels (unscoped)"));

  const v1::Device device = Get(enrolled->device_id());
  EXPECT_EQ(device.facts().labels().at("site"), "tokyo");
  EXPECT_EQ(device.enrollment().enrollments(), 1u);
  EXPECT_EQ(device.enrollment().refused_claims(), 2u);
  const std::vector<store::AuditEntry> audit = Audit(enrolled->device_id());
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action, "reenroll_device");
  EXPECT_EQ(audit[0].outcome, "refused");
  EXPECT_EQ(audit[0].actor, "enrollment secret \"paris\"");
  EXPECT_EQ(Counted("refused_scope"), 2u);
  // The device's token still works: a refusal changes nothing.
  EXPECT_TRUE(
      env_.runner()
          .AuthenticateDevice(absl::StrCat("Bearer ", enrolled->device_token()))
          .ok());
  // Within the same scope the proof works.
  auto same = Enroll(facts, enrolled->device_token(), {}, tokyo);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->device_id(), enrolled->device_id());
}

TEST_F(EnrollmentTest, AProofFromAnotherHostIsRefusedAndFlagged) {
  EnrolledDevice real = env_.Enroll(MakeFacts("WEB-2019-02", "2019"));
  v1::DeviceFacts copy = MakeFacts("WEB-2019-99", "2019");
  copy.set_host_identity("another-machine");
  auto refused = Enroll(copy, real.token);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(), HasSubstr("another host"));
  EXPECT_TRUE(Get(real.id).has_runner_clone_seen_at());
  EXPECT_EQ(Counted("refused_proof"), 1u);
  EXPECT_TRUE(env_.runner().AuthenticateDevice(real.bearer).ok());
}

TEST_F(EnrollmentTest, ResetIdentityLetsTheNextEnrollmentTakeTheDeviceOver) {
  const v1::DeviceFacts facts = MakeFacts("APP-2019-01", "2019");
  EnrolledDevice old = env_.Enroll(facts);

  auto reset = Reset(old.id, "server reinstalled");
  ASSERT_TRUE(reset.ok()) << reset.status();
  ASSERT_TRUE(reset->enrollment().has_pending_identity_reset());
  EXPECT_EQ(reset->enrollment().pending_identity_reset().reason(),
            "server reinstalled");
  EXPECT_EQ(reset->enrollment().pending_identity_reset().reset_by(), "admin");
  // Until the takeover the device keeps working.
  EXPECT_TRUE(env_.runner().AuthenticateDevice(old.bearer).ok());

  auto taken = Enroll(facts);  // the reinstalled server: no proof
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->device_id(), old.id);
  EXPECT_EQ(env_.runner().AuthenticateDevice(old.bearer).status().code(),
            absl::StatusCode::kUnauthenticated);
  const v1::Device device = Get(old.id);
  EXPECT_FALSE(device.enrollment().has_pending_identity_reset());
  EXPECT_EQ(device.enrollment().enrollments(), 2u);
  EXPECT_EQ(device.enrollment().last_reenrolled_by(), "identity reset");
  const std::vector<store::AuditEntry> audit = Audit(old.id);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action, "reset_device_identity");
  EXPECT_EQ(audit[0].outcome, "ok");
  EXPECT_THAT(audit[0].detail, HasSubstr("server reinstalled"));
  EXPECT_EQ(audit[1].action, "take_over_device");
  EXPECT_EQ(audit[1].outcome, "ok");
  EXPECT_EQ(Counted("identity_reset"), 1u);

  // One use: the next claim without proof is a duplicate again.
  auto again = Enroll(facts);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->device_id(), old.id);
  EXPECT_TRUE(HasNeed(Get(again->device_id()), "duplicate_identity"));
}

TEST_F(EnrollmentTest, ATakeoverAcrossScopesIsRefusedAndTheResetKept) {
  const std::string tokyo = ScopedSecret("tokyo", {{"site", "tokyo"}});
  v1::DeviceFacts facts = MakeFacts("APP-2019-02", "2019");
  auto enrolled = Enroll(facts, "", {}, tokyo);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status();
  ASSERT_TRUE(Reset(enrolled->device_id(), "reinstalled").ok());
  facts.mutable_labels()->erase("site");
  auto crossed = Enroll(facts);  // the unscoped "runners" secret
  ASSERT_FALSE(crossed.ok());
  EXPECT_EQ(crossed.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(crossed.status().message(),
              HasSubstr("a takeover across enrollment-secret scopes"));
  EXPECT_TRUE(
      Get(enrolled->device_id()).enrollment().has_pending_identity_reset());
  auto same = Enroll(facts, "", {}, tokyo);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->device_id(), enrolled->device_id());
}

TEST_F(EnrollmentTest, ResetIdentityErrorsNameTheFieldAndChangeNothing) {
  EnrolledDevice device = env_.Enroll(MakeFacts("APP-2019-03", "2019"));
  v1::DeviceFacts no_identity = MakeFacts("APP-2019-04", "2019");
  no_identity.clear_host_identity();
  EnrolledDevice anonymous = env_.Enroll(no_identity);
  EnrolledDevice revoked = env_.Enroll(MakeFacts("APP-2019-05", "2019"));
  v1::RevokeDeviceRequest revoke;
  revoke.set_device_id(revoked.id);
  ASSERT_TRUE(
      env_.admin().access().RevokeDevice(env_.admin_bearer(), revoke).ok());
  auto duplicate = Enroll(MakeFacts("APP-2019-03", "2019"));
  ASSERT_TRUE(duplicate.ok());
  const std::string before = env_.Snapshot();

  struct Case {
    std::string id, reason;
    absl::StatusCode code;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {device.id, "", absl::StatusCode::kInvalidArgument,
            "reason: required"},
           {device.id, "   ", absl::StatusCode::kInvalidArgument,
            "reason: required"},
           {device.id, "two\nlines", absl::StatusCode::kInvalidArgument,
            "reason: control characters"},
           {device.id, std::string(513, 'x'),
            absl::StatusCode::kInvalidArgument, "reason: at most 512"},
           {"", "x", absl::StatusCode::kInvalidArgument, "device_id: required"},
           {"dev-nope", "x", absl::StatusCode::kNotFound,
            "device_id: no device \"dev-nope\""},
           {revoked.id, "x", absl::StatusCode::kFailedPrecondition,
            "is revoked"},
           {anonymous.id, "x", absl::StatusCode::kFailedPrecondition,
            "reported no host identity"},
           {duplicate->device_id(), "x", absl::StatusCode::kFailedPrecondition,
            absl::StrCat("reset the identity of ", device.id)},
       }) {
    auto r = Reset(c.id, c.reason);
    ASSERT_FALSE(r.ok()) << c.id;
    EXPECT_EQ(r.status().code(), c.code) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
  }
  EXPECT_EQ(env_.Snapshot(), before);
  // Refusals are audited like every admin action.
  bool audited = false;
  for (const store::AuditEntry& e : Audit(revoked.id)) {
    audited |= e.action == "reset_device_identity" && e.outcome == "refused";
  }
  EXPECT_TRUE(audited);

  // Only admins may reset.
  v1::CreateTokenRequest op;
  op.set_name("ops");
  op.set_role(v1::ROLE_OPERATOR);
  auto token = env_.admin().access().CreateToken(env_.admin_bearer(), op);
  ASSERT_TRUE(token.ok());
  v1::ResetDeviceIdentityRequest request;
  request.set_device_id(device.id);
  request.set_reason("x");
  EXPECT_EQ(
      env_.admin()
          .access()
          .ResetDeviceIdentity(absl::StrCat("Bearer ", token->value()), request)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(EnrollmentTest, ARevokedHostCannotEnrollAgainAndTheClaimIsAudited) {
  const v1::DeviceFacts facts = MakeFacts("OLD-2016-01", "2016");
  EnrolledDevice device = env_.Enroll(facts);
  v1::RevokeDeviceRequest revoke;
  revoke.set_device_id(device.id);
  ASSERT_TRUE(
      env_.admin().access().RevokeDevice(env_.admin_bearer(), revoke).ok());
  auto refused = Enroll(facts);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(), HasSubstr("an admin revoked"));
  auto with_token = Enroll(facts, device.token);
  EXPECT_EQ(with_token.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(env_.Count("devices"), 1);
  EXPECT_EQ(Get(device.id).enrollment().refused_claims(), 2u);
  EXPECT_EQ(Counted("refused_revoked"), 2u);
}

TEST_F(EnrollmentTest, HostsWithoutAnIdentityAreNeverMatched) {
  v1::DeviceFacts facts = MakeFacts("NOID-2019-01", "2019");
  facts.clear_host_identity();
  EnrolledDevice a = env_.Enroll(facts);
  EnrolledDevice b = env_.Enroll(facts);
  EXPECT_NE(a.id, b.id);
  EXPECT_FALSE(HasNeed(Get(b.id), "duplicate_identity"));
  EXPECT_EQ(Get(a.id).facts().host_identity_sha256(), "");
  EXPECT_EQ(Counted("new"), 2u);
}

TEST_F(EnrollmentTest, TheRawHostIdentityIsNeverStoredOrShown) {
  v1::DeviceFacts facts = MakeFacts("WEB-2022-01", "2022");
  const std::string raw = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  facts.set_host_identity(raw);
  facts.set_host_identity_sha256("forged-by-the-runner");
  EnrolledDevice device = env_.Enroll(facts);
  env_.Poll(device);
  v1::PollTasksRequest poll;
  *poll.mutable_facts() = facts;
  ASSERT_TRUE(env_.runner().PollOnce(device.id, poll).ok());

  const v1::Device shown = Get(device.id);
  EXPECT_EQ(shown.facts().host_identity(), "");
  EXPECT_EQ(shown.facts().host_identity_sha256(), Sha256Hex(raw));
  auto listed = env_.admin().inventory().ListDevices(env_.admin_bearer(), {});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->devices(0).facts().host_identity(), "");
  EXPECT_EQ(env_.Snapshot().find(raw), std::string::npos);
  EXPECT_EQ(env_.Snapshot().find("forged-by-the-runner"), std::string::npos);

  // The copied-runner check compares the hashes.
  v1::PollTasksRequest copied = poll;
  copied.mutable_facts()->set_host_identity("another-machine-guid");
  auto refused = env_.runner().PollOnce(device.id, copied);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Get(device.id).facts().host_identity_sha256(), Sha256Hex(raw));
}

class TlsEnrollmentTest : public EnrollmentTest {
 protected:
  static std::unique_ptr<tls::CertificateAuthority> NewCa() {
    auto ca = tls::CertificateAuthority::Create("test CA", TestEpoch());
    EXPECT_TRUE(ca.ok()) << ca.status();
    return *std::move(ca);
  }
  TlsEnrollmentTest() : EnrollmentTest({.client_ca = ca_.get()}) {}

  // Declared first: constructed before the base uses it.
  static inline std::unique_ptr<tls::CertificateAuthority> ca_ = NewCa();
};

// Enrolls over TLS with a CSR as `peer`; the certificate issued is the one
// the device then presents (PeerPresenting).
absl::StatusOr<v1::EnrollResponse> EnrollWithCsr(TestEnv& env,
                                                 const v1::DeviceFacts& facts,
                                                 const PeerIdentity& peer) {
  v1::EnrollRequest request;
  *request.mutable_facts() = facts;
  auto csr = tls::CreateKeyAndCsr(facts.hostname());
  if (!csr.ok()) return csr.status();
  request.set_csr_pem(csr->csr_pem);
  return env.runner().Enroll(env.enroll_bearer(), request, peer);
}

TEST_F(TlsEnrollmentTest, TheClientCertificateProvesTheDevice) {
  const v1::DeviceFacts facts = MakeFacts("WEB-2019-10", "2019");
  auto first = EnrollWithCsr(env_, facts, TlsWithout());
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = EnrollWithCsr(env_, facts,
                             PeerPresenting(first->client_certificate_pem()));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->device_id(), first->device_id());
  EXPECT_EQ(Get(first->device_id()).enrollment().last_reenrolled_by(),
            "client certificate");

  // Over TLS the token is not a proof: the certificate is.
  auto token = Enroll(facts, again->device_token(), TlsWithout());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(token.status().message(),
              HasSubstr("device_token: not accepted"));
  // Without the certificate the same facts get a duplicate.
  auto claim = Enroll(facts, "", TlsWithout());
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_NE(claim->device_id(), first->device_id());
  // Another device's certificate proves that device, not this identity.
  auto other =
      EnrollWithCsr(env_, MakeFacts("WEB-2019-11", "2019"), TlsWithout());
  ASSERT_TRUE(other.ok());
  auto swapped =
      Enroll(facts, "", PeerPresenting(other->client_certificate_pem()));
  EXPECT_EQ(swapped.status().code(), absl::StatusCode::kPermissionDenied);
  // A certificate naming no known device proves nothing.
  auto unknown = Enroll(MakeFacts("WEB-2019-12", "2019"), "", TlsAs("dev-x"));
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_NE(unknown->device_id(), "dev-x");
}

TEST(DeviceTokenProofAllowedTest, OnlyWhereNoClientCertificatesExist) {
  auto ca = tls::CertificateAuthority::Create("test CA", TestEpoch());
  ASSERT_TRUE(ca.ok());
  EXPECT_TRUE(service::DeviceTokenProofAllowed(ca->get(), {}));
  EXPECT_TRUE(service::DeviceTokenProofAllowed(nullptr, TlsWithout()));
  EXPECT_FALSE(service::DeviceTokenProofAllowed(ca->get(), TlsWithout()));
}

}  // namespace
}  // namespace mdefleet::testing

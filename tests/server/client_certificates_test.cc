// Runner client certificates in the handlers, without gRPC: issued at
// enrollment over TLS and recorded as the device's certificate, required and
// checked against that record on every other call, renewed over the
// authenticated channel (the old one refused once the new one is used), and
// refused at once when the device is revoked (PeerIdentity stands in for the
// TLS handshake; the certificates are real ones from a test CA).
#include "server/service/client_certificates.h"

#include <future>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/tls/certificate_authority.h"
#include "common/tls/client_certificate.h"
#include "common/tls/openssl_handles.h"
#include "common/tls/pem.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/service/long_poll.h"
#include "server/store/device_certificates.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using service::CertificateMatch;
using service::PeerIdentity;
using service::PeerPresenting;
using ::testing::HasSubstr;

// A device enrolled over TLS: its token and the key and certificate it got.
struct TlsDevice {
  EnrolledDevice device;
  std::string key_pem;
  std::string certificate_pem;
  PeerIdentity peer() const { return PeerPresenting(certificate_pem); }
};

class ClientCertificatesTest : public ::testing::Test {
 protected:
  static std::unique_ptr<tls::CertificateAuthority> NewCa() {
    auto ca = tls::CertificateAuthority::Create("test CA", TestEpoch());
    EXPECT_TRUE(ca.ok()) << ca.status();
    return *std::move(ca);
  }

  v1::EnrollRequest EnrollWithCsr(const std::string& hostname,
                                  std::string* key_pem = nullptr) {
    v1::EnrollRequest request;
    *request.mutable_facts() = MakeFacts(hostname, "2019");
    auto csr = tls::CreateKeyAndCsr(hostname);
    EXPECT_TRUE(csr.ok());
    request.set_csr_pem(csr->csr_pem);
    if (key_pem != nullptr) *key_pem = csr->key_pem;
    return request;
  }

  TlsDevice EnrollOverTls(TestEnv& env, const std::string& hostname) {
    TlsDevice out;
    auto enrolled = env.runner().Enroll(env.enroll_bearer(),
                                        EnrollWithCsr(hostname, &out.key_pem),
                                        TlsWithout());
    EXPECT_TRUE(enrolled.ok()) << enrolled.status();
    if (!enrolled.ok()) return out;
    out.device = {enrolled->device_id(), enrolled->device_token(),
                  absl::StrCat("Bearer ", enrolled->device_token())};
    out.certificate_pem = enrolled->client_certificate_pem();
    return out;
  }

  // Another certificate of our CA naming `device_id` (an older one, or one
  // made with a stolen CA key: either way not the one the device holds).
  std::string OtherCertificateFor(const std::string& device_id) {
    auto csr = tls::CreateKeyAndCsr("other");
    EXPECT_TRUE(csr.ok());
    auto pem = ca_->IssueClientCertificate(csr->csr_pem, device_id, TestEpoch(),
                                           absl::Hours(24));
    EXPECT_TRUE(pem.ok()) << pem.status();
    return pem.ok() ? *pem : "";
  }

  // RenewClientCertificate for a new key (kept in *new_key), as `d` over
  // its own certificate, or as `peer` when given.
  absl::StatusOr<v1::RenewClientCertificateResponse> Renew(
      TestEnv& env, const TlsDevice& d, std::string* new_key = nullptr,
      std::optional<PeerIdentity> peer = std::nullopt) {
    auto csr = tls::CreateKeyAndCsr("renewed");
    EXPECT_TRUE(csr.ok());
    if (new_key != nullptr) *new_key = csr->key_pem;
    v1::RenewClientCertificateRequest request;
    request.set_csr_pem(csr->csr_pem);
    return env.runner().RenewClientCertificate(d.device.bearer, request,
                                               peer ? *peer : d.peer());
  }

  std::unique_ptr<tls::CertificateAuthority> ca_ = NewCa();
  // The defaults of serve with TLS and mdefleet's CA.
  service::RunnerOptions Required() {
    return {.client_ca = ca_.get(), .require_client_certificate = true};
  }
};

TEST(MatchDeviceCertificateTest, Rules) {
  const absl::Time now = TestEpoch();
  const store::DeviceCertificates bound{.current_sha256 = "aa",
                                        .next_sha256 = "bb"};
  auto presenting = [](const std::string& device, const std::string& sha) {
    return PeerIdentity{.tls = true,
                        .has_client_certificate = true,
                        .certificate_device_id = device,
                        .certificate_sha256 = sha,
                        .certificate_serial = "1f",
                        .certificate_not_after = TestEpoch() + absl::Hours(1)};
  };
  EXPECT_EQ(*service::MatchDeviceCertificate("dev-1", bound, TlsWithout(),
                                             false, now),
            CertificateMatch::kNotPresented);
  EXPECT_EQ(*service::MatchDeviceCertificate(
                "dev-1", bound, presenting("dev-1", "aa"), true, now),
            CertificateMatch::kCurrent);
  EXPECT_EQ(*service::MatchDeviceCertificate(
                "dev-1", bound, presenting("dev-1", "bb"), true, now),
            CertificateMatch::kNext);
  EXPECT_EQ(*service::MatchDeviceCertificate(
                "dev-1", {}, presenting("dev-1", "cc"), true, now),
            CertificateMatch::kAdopted);

  auto refused = [&](const store::DeviceCertificates& stored,
                     const PeerIdentity& peer, bool required,
                     const std::string& words, absl::Time at) {
    absl::StatusOr<CertificateMatch> match =
        service::MatchDeviceCertificate("dev-1", stored, peer, required, at);
    ASSERT_FALSE(match.ok()) << words;
    EXPECT_EQ(match.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(match.status().message(), HasSubstr(words));
  };
  refused(bound, TlsWithout(), true, "enroll it again over TLS", now);
  refused(bound, presenting("dev-2", "aa"), false,
          "client certificate belongs to another device", now);
  refused(bound, presenting("", "aa"), false, "names no mdefleet device", now);
  refused(bound, presenting("dev-1", "cc"), false,
          "is not the current certificate of device dev-1", now);
  // Without any certificate recorded ('' : enrolled without one), none is
  // accepted.
  refused({.current_sha256 = ""}, presenting("dev-1", "cc"), false,
          "not the current certificate", now);
  // Checked per call: a connection can outlive its certificate.
  refused(bound, presenting("dev-1", "aa"), true, "expired at",
          now + absl::Hours(2));
}

TEST_F(ClientCertificatesTest, EnrollOverTlsIssuesAndRecordsACertificate) {
  TestEnv env(Required());
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  ASSERT_FALSE(a.certificate_pem.empty());
  auto info = tls::ReadClientCertificate(a.certificate_pem);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->device_id, a.device.id);
  EXPECT_EQ(info->not_after - info->not_before,
            tls::kClientValidity + absl::Hours(1));
  std::optional<store::DeviceCertificateState> state;
  ASSERT_TRUE(env.store()
                  .Read([&](store::Connection& db) -> absl::Status {
                    auto got = store::GetDeviceCertificates(db, a.device.id);
                    if (!got.ok()) return got.status();
                    state = *got;
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->certificates.current_sha256, info->sha256);
  EXPECT_EQ(state->current_serial, info->serial);
  EXPECT_TRUE(env.runner().AuthenticateDevice(a.device.bearer, a.peer()).ok());
}

TEST_F(ClientCertificatesTest, TheLifetimeIsTheServersSetting) {
  service::RunnerOptions options = Required();
  options.client_certificate_lifetime = absl::Minutes(10);
  TestEnv env(options);
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  auto info = tls::ReadClientCertificate(a.certificate_pem);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->not_after, env.clock().Now() + absl::Minutes(10));
  // Backdated by a tenth of a short lifetime, not an hour.
  EXPECT_EQ(info->not_before, env.clock().Now() - absl::Minutes(1));
}

TEST_F(ClientCertificatesTest, NoCertificateOverPlaintextOrWithoutCaKey) {
  TestEnv with_ca({.client_ca = ca_.get()});
  auto plaintext = with_ca.runner().Enroll(
      with_ca.enroll_bearer(), EnrollWithCsr("WEB-2019-01"), PeerIdentity{});
  ASSERT_TRUE(plaintext.ok()) << plaintext.status();
  EXPECT_TRUE(plaintext->client_certificate_pem().empty());

  TestEnv without_ca;
  auto no_key = without_ca.runner().Enroll(
      without_ca.enroll_bearer(), EnrollWithCsr("WEB-2019-02"), TlsWithout());
  ASSERT_TRUE(no_key.ok()) << no_key.status();
  EXPECT_TRUE(no_key->client_certificate_pem().empty());
}

TEST_F(ClientCertificatesTest, EnrollmentOverTlsWithoutCsrIsRefusedByDefault) {
  TestEnv env(Required());
  v1::EnrollRequest request;
  *request.mutable_facts() = MakeFacts("WEB-2019-01", "2019");
  auto refused =
      env.runner().Enroll(env.enroll_bearer(), request, TlsWithout());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("csr_pem: required"));
  EXPECT_EQ(env.Count("devices"), 0);
}

TEST_F(ClientCertificatesTest, BadCsrIsRefusedBeforeEnrolling) {
  TestEnv env(Required());
  v1::EnrollRequest request = EnrollWithCsr("WEB-2019-01");
  request.set_csr_pem("-----BEGIN CERTIFICATE REQUEST-----\ngarbage\n");
  auto enrolled =
      env.runner().Enroll(env.enroll_bearer(), request, TlsWithout());
  ASSERT_FALSE(enrolled.ok());
  EXPECT_EQ(enrolled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(enrolled.status().message(), HasSubstr("csr_pem"));
  EXPECT_EQ(env.Count("devices"), 0);
}

TEST_F(ClientCertificatesTest, ATokenAloneOrAForeignCertificateIsRefused) {
  TestEnv env(Required());
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  TlsDevice b = EnrollOverTls(env, "WEB-2019-02");
  const std::string before = env.Snapshot();
  for (const PeerIdentity& peer :
       {TlsWithout(), b.peer(),
        PeerPresenting(OtherCertificateFor(a.device.id))}) {
    auto poll = env.runner().AuthenticateDevice(a.device.bearer, peer);
    EXPECT_EQ(poll.status().code(), absl::StatusCode::kUnauthenticated);
    auto report =
        env.runner().ReportStep(a.device.bearer, v1::ReportStepRequest(), peer);
    EXPECT_EQ(report.status().code(), absl::StatusCode::kUnauthenticated);
    auto beat =
        env.runner().Heartbeat(a.device.bearer, v1::HeartbeatRequest(), peer);
    EXPECT_EQ(beat.status().code(), absl::StatusCode::kUnauthenticated);
    absl::Status fetch = env.runner().FetchArtifact(
        a.device.bearer, v1::FetchArtifactRequest(),
        [](const v1::ArtifactChunk&) { return true; }, peer);
    EXPECT_EQ(fetch.code(), absl::StatusCode::kUnauthenticated);
    auto renew = Renew(env, a, nullptr, peer);
    EXPECT_EQ(renew.status().code(), absl::StatusCode::kUnauthenticated);
  }
  EXPECT_THAT(env.runner()
                  .AuthenticateDevice(a.device.bearer, b.peer())
                  .status()
                  .message(),
              HasSubstr("another device"));
  EXPECT_THAT(
      env.runner()
          .AuthenticateDevice(a.device.bearer,
                              PeerPresenting(OtherCertificateFor(a.device.id)))
          .status()
          .message(),
      HasSubstr("is not the current certificate of device"));
  EXPECT_EQ(env.Snapshot(), before);
  // A wrong token is still a wrong token, whatever the certificate.
  auto wrong =
      env.runner().AuthenticateDevice("Bearer mdf_dev_wrong", a.peer());
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  // Its own certificate is accepted.
  auto own = env.runner().AuthenticateDevice(a.device.bearer, a.peer());
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(*own, a.device.id);
}

TEST_F(ClientCertificatesTest,
       TokenOnlyModeAcceptsNoCertificateButNotAWrongOne) {
  TestEnv env({.client_ca = ca_.get()});  // --allow-token-only-runners
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  EXPECT_TRUE(
      env.runner().AuthenticateDevice(a.device.bearer, TlsWithout()).ok());
  EXPECT_TRUE(env.runner().AuthenticateDevice(a.device.bearer, a.peer()).ok());
  EXPECT_EQ(
      env.runner()
          .AuthenticateDevice(a.device.bearer,
                              PeerPresenting(OtherCertificateFor(a.device.id)))
          .status()
          .code(),
      absl::StatusCode::kUnauthenticated);
  // Renewal always needs the certificate: a token alone never gets one.
  auto renew = Renew(env, a, nullptr, TlsWithout());
  EXPECT_EQ(renew.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(ClientCertificatesTest, ReEnrollmentReplacesTheCertificate) {
  TestEnv env(Required());
  TlsDevice first = EnrollOverTls(env, "WEB-2019-01");
  // The same host enrolls again, proving the device with its certificate.
  TlsDevice again;
  auto enrolled = env.runner().Enroll(
      env.enroll_bearer(), EnrollWithCsr("WEB-2019-01", &again.key_pem),
      first.peer());
  ASSERT_TRUE(enrolled.ok()) << enrolled.status();
  again.device = {enrolled->device_id(), enrolled->device_token(),
                  absl::StrCat("Bearer ", enrolled->device_token())};
  again.certificate_pem = enrolled->client_certificate_pem();
  ASSERT_EQ(first.device.id, again.device.id);
  EXPECT_TRUE(
      env.runner().AuthenticateDevice(again.device.bearer, again.peer()).ok());
  auto old = env.runner().AuthenticateDevice(again.device.bearer, first.peer());
  EXPECT_EQ(old.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(ClientCertificatesTest, RenewalSwitchesOnFirstUseAndIsCrashSafe) {
  service::RunnerOptions options = Required();
  options.client_certificate_lifetime = absl::Hours(24);
  TestEnv env(options);
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  std::string key;
  auto renewed = Renew(env, a, &key);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  TlsDevice next{a.device, key, renewed->client_certificate_pem()};
  auto info = tls::ReadClientCertificate(next.certificate_pem);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->device_id, a.device.id);
  EXPECT_EQ(info->not_after, env.clock().Now() + absl::Hours(24));

  // The runner died before saving the new certificate: the old one still
  // works, and it can renew again (the first new one is then never valid).
  EXPECT_TRUE(env.runner().AuthenticateDevice(a.device.bearer, a.peer()).ok());
  renewed = Renew(env, a, &key);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  TlsDevice lost = next;
  next = {a.device, key, renewed->client_certificate_pem()};
  EXPECT_EQ(env.runner()
                .AuthenticateDevice(a.device.bearer, lost.peer())
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);

  // The first call with the new certificate makes it the current one; the
  // old one is refused from then on, on every method.
  EXPECT_TRUE(
      env.runner().AuthenticateDevice(a.device.bearer, next.peer()).ok());
  auto old = env.runner().AuthenticateDevice(a.device.bearer, a.peer());
  EXPECT_EQ(old.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(old.status().message(),
              HasSubstr("is not the current certificate of device"));
  auto old_renew = Renew(env, a);
  EXPECT_EQ(old_renew.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(
      env.runner().AuthenticateDevice(a.device.bearer, next.peer()).ok());
}

TEST_F(ClientCertificatesTest, RenewalRefusesABadOrReusedKey) {
  TestEnv env(Required());
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  const std::string before = env.Snapshot();
  v1::RenewClientCertificateRequest garbage;
  garbage.set_csr_pem("-----BEGIN CERTIFICATE REQUEST-----\ngarbage\n");
  auto bad =
      env.runner().RenewClientCertificate(a.device.bearer, garbage, a.peer());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("csr_pem"));

  // A CSR for the current key: made with the device's own key.
  auto key = tls::ParsePrivateKeyPem(a.key_pem, "key");
  ASSERT_TRUE(key.ok());
  tls::UniqueX509Req csr(X509_REQ_new());
  ASSERT_EQ(X509_REQ_set_pubkey(csr.get(), key->get()), 1);
  ASSERT_GT(X509_REQ_sign(csr.get(), key->get(), EVP_sha256()), 0);
  v1::RenewClientCertificateRequest same;
  same.set_csr_pem(*tls::CsrToPem(*csr));
  auto reused =
      env.runner().RenewClientCertificate(a.device.bearer, same, a.peer());
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(reused.status().message(), HasSubstr("needs a new key"));
  EXPECT_EQ(env.Snapshot(), before);

  // Without the CA key nothing can be issued (a device that enrolled with
  // an older server and kept its certificate).
  TestEnv no_ca;
  EnrolledDevice d = no_ca.Enroll(MakeFacts("WEB-2019-03", "2019"));
  ASSERT_TRUE(no_ca.store()
                  .Write([&](store::Connection& db) -> absl::Status {
                    return db.Exec(absl::StrCat(
                        "UPDATE devices SET cert_sha256 = NULL WHERE id = '",
                        d.id, "'"));
                  })
                  .ok());
  auto fresh = tls::CreateKeyAndCsr("renewed");
  ASSERT_TRUE(fresh.ok());
  v1::RenewClientCertificateRequest request;
  request.set_csr_pem(fresh->csr_pem);
  auto unavailable = no_ca.runner().RenewClientCertificate(
      d.bearer, request, PeerPresenting(OtherCertificateFor(d.id)));
  EXPECT_EQ(unavailable.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unavailable.status().message(), HasSubstr("no CA key"));
}

TEST_F(ClientCertificatesTest,
       DevicesEnrolledBeforeRecordingAdoptTheirCertificate) {
  TestEnv env(Required());
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  // As migration 0008 leaves a device enrolled by an older server.
  ASSERT_TRUE(env.store()
                  .Write([&](store::Connection& db) -> absl::Status {
                    return db.Exec(absl::StrCat(
                        "UPDATE devices SET cert_sha256 = NULL, cert_serial "
                        "= '' WHERE id = '",
                        a.device.id, "'"));
                  })
                  .ok());
  EXPECT_TRUE(env.runner().AuthenticateDevice(a.device.bearer, a.peer()).ok());
  // Bound from now on: another certificate naming it is refused.
  auto other = env.runner().AuthenticateDevice(
      a.device.bearer, PeerPresenting(OtherCertificateFor(a.device.id)));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(env.runner().AuthenticateDevice(a.device.bearer, a.peer()).ok());
}

TEST_F(ClientCertificatesTest, CheckDeviceCertificateIsTheStoreBackedProof) {
  TestEnv env(Required());
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  TlsDevice b = EnrollOverTls(env, "WEB-2019-02");
  auto check = [&](const std::string& device_id, const PeerIdentity& peer) {
    absl::StatusOr<CertificateMatch> match;
    absl::Status written =
        env.store().Write([&](store::Connection& db) -> absl::Status {
          match = service::CheckDeviceCertificate(db, device_id, peer, true,
                                                  env.clock().Now());
          return absl::OkStatus();
        });
    EXPECT_TRUE(written.ok()) << written;
    return match;
  };
  EXPECT_EQ(*check(a.device.id, a.peer()), CertificateMatch::kCurrent);
  EXPECT_EQ(check(a.device.id, b.peer()).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(check(a.device.id, TlsWithout()).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(check("dev-none", a.peer()).status().code(),
            absl::StatusCode::kUnauthenticated);
  v1::RevokeDeviceRequest revoke;
  revoke.set_device_id(a.device.id);
  ASSERT_TRUE(
      env.admin().access().RevokeDevice(env.admin_bearer(), revoke).ok());
  EXPECT_EQ(check(a.device.id, a.peer()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ClientCertificatesTest, LongPollChecksTheCertificate) {
  TestEnv env(Required());
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  TlsDevice b = EnrollOverTls(env, "WEB-2019-02");
  service::LongPoller poller(env.runner(), env.clock(), 1);
  std::promise<absl::Status> done;
  v1::PollTasksRequest request;
  request.mutable_max_wait()->set_seconds(0);
  poller.Poll(
      a.device.bearer, request,
      [&done](absl::StatusOr<v1::PollTasksResponse> result) {
        done.set_value(result.status());
      },
      b.peer());
  absl::Status status = done.get_future().get();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(status.message(), HasSubstr("another device"));
  poller.Stop();
}

TEST_F(ClientCertificatesTest, RevokingAnswersAWaitingPollAtOnce) {
  TestEnv env(Required());
  TlsDevice a = EnrollOverTls(env, "WEB-2019-01");
  service::LongPoller poller(env.runner(), env.clock(), 1);
  env.hub().set_waker(&poller);
  std::promise<absl::Status> done;
  v1::PollTasksRequest request;
  request.mutable_max_wait()->set_seconds(30);
  poller.Poll(
      a.device.bearer, request,
      [&done](absl::StatusOr<v1::PollTasksResponse> result) {
        done.set_value(result.status());
      },
      a.peer());
  // Parked (the fake clock does not move: only a wake can answer it).
  for (int i = 0; i < 500 && poller.waiting() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(poller.waiting(), 1u);
  v1::RevokeDeviceRequest revoke;
  revoke.set_device_id(a.device.id);
  ASSERT_TRUE(
      env.admin().access().RevokeDevice(env.admin_bearer(), revoke).ok());
  std::future<absl::Status> answered = done.get_future();
  ASSERT_EQ(answered.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  absl::Status status = answered.get();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("revoked"));
  // And the next call, on the same connection, with the same certificate.
  auto next = env.runner().AuthenticateDevice(a.device.bearer, a.peer());
  EXPECT_EQ(next.status().code(), absl::StatusCode::kPermissionDenied);
  env.hub().set_waker(nullptr);
  poller.Stop();
}

}  // namespace
}  // namespace mdefleet::testing

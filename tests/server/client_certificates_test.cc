// Runner client certificates in the handlers, without gRPC: issued at
// enrollment over TLS, bound to the device token on every other call, and
// required with --mtls (PeerIdentity stands in for the TLS handshake).
#include "server/service/client_certificates.h"

#include <future>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/tls/certificate_authority.h"
#include "common/tls/client_certificate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/service/long_poll.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using service::PeerIdentity;
using ::testing::HasSubstr;

PeerIdentity TlsWithout() { return {.tls = true}; }
PeerIdentity TlsAs(const std::string& device_id) {
  return {.tls = true,
          .has_client_certificate = true,
          .certificate_device_id = device_id};
}

TEST(CheckClientCertificateTest, Rules) {
  EXPECT_TRUE(service::CheckClientCertificate("dev-1", {}, false).ok());
  EXPECT_TRUE(
      service::CheckClientCertificate("dev-1", TlsWithout(), false).ok());
  EXPECT_TRUE(
      service::CheckClientCertificate("dev-1", TlsAs("dev-1"), true).ok());

  absl::Status other =
      service::CheckClientCertificate("dev-1", TlsAs("dev-2"), false);
  EXPECT_EQ(other.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(other.message(),
              HasSubstr("client certificate belongs to another device"));

  absl::Status unnamed =
      service::CheckClientCertificate("dev-1", TlsAs(""), false);
  EXPECT_EQ(unnamed.code(), absl::StatusCode::kUnauthenticated);

  absl::Status missing =
      service::CheckClientCertificate("dev-1", TlsWithout(), true);
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(missing.message(), HasSubstr("enroll it again over TLS"));
}

class ClientCertificatesTest : public ::testing::Test {
 protected:
  static std::unique_ptr<tls::CertificateAuthority> NewCa() {
    auto ca = tls::CertificateAuthority::Create("test CA", TestEpoch());
    EXPECT_TRUE(ca.ok()) << ca.status();
    return *std::move(ca);
  }

  v1::EnrollRequest EnrollWithCsr(const std::string& hostname) {
    v1::EnrollRequest request;
    *request.mutable_facts() = MakeFacts(hostname, "2019");
    auto csr = tls::CreateKeyAndCsr(hostname);
    EXPECT_TRUE(csr.ok());
    request.set_csr_pem(csr->csr_pem);
    return request;
  }

  std::unique_ptr<tls::CertificateAuthority> ca_ = NewCa();
};

TEST_F(ClientCertificatesTest, EnrollOverTlsIssuesACertificateForTheDevice) {
  TestEnv env({.client_ca = ca_.get()});
  auto enrolled = env.runner().Enroll(
      env.enroll_bearer(), EnrollWithCsr("WEB-2019-01"), TlsWithout());
  ASSERT_TRUE(enrolled.ok()) << enrolled.status();
  ASSERT_FALSE(enrolled->client_certificate_pem().empty());
  auto id = tls::DeviceIdOfCertificate(enrolled->client_certificate_pem());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, enrolled->device_id());
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

TEST_F(ClientCertificatesTest, BadCsrIsRefusedBeforeEnrolling) {
  TestEnv env({.client_ca = ca_.get()});
  v1::EnrollRequest request = EnrollWithCsr("WEB-2019-01");
  request.set_csr_pem("-----BEGIN CERTIFICATE REQUEST-----\ngarbage\n");
  auto enrolled =
      env.runner().Enroll(env.enroll_bearer(), request, TlsWithout());
  ASSERT_FALSE(enrolled.ok());
  EXPECT_EQ(enrolled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(enrolled.status().message(), HasSubstr("csr_pem"));
  EXPECT_EQ(env.Count("devices"), 0);
}

TEST_F(ClientCertificatesTest, AnotherDevicesCertificateIsRefusedEverywhere) {
  TestEnv env({.client_ca = ca_.get()});
  EnrolledDevice a = env.Enroll(MakeFacts("WEB-2019-01", "2019"));
  EnrolledDevice b = env.Enroll(MakeFacts("WEB-2019-02", "2019"));
  const PeerIdentity as_b = TlsAs(b.id);
  const std::string before = env.Snapshot();

  auto poll = env.runner().AuthenticateDevice(a.bearer, as_b);
  EXPECT_EQ(poll.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(poll.status().message(), HasSubstr("another device"));
  auto report =
      env.runner().ReportStep(a.bearer, v1::ReportStepRequest(), as_b);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kUnauthenticated);
  auto beat = env.runner().Heartbeat(a.bearer, v1::HeartbeatRequest(), as_b);
  EXPECT_EQ(beat.status().code(), absl::StatusCode::kUnauthenticated);
  absl::Status fetch = env.runner().FetchArtifact(
      a.bearer, v1::FetchArtifactRequest(),
      [](const v1::ArtifactChunk&) { return true; }, as_b);
  EXPECT_EQ(fetch.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(env.Snapshot(), before);

  // Its own certificate is accepted.
  auto own = env.runner().AuthenticateDevice(a.bearer, TlsAs(a.id));
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(*own, a.id);
}

TEST_F(ClientCertificatesTest, MtlsRefusesCallsWithoutCertificate) {
  TestEnv env({.client_ca = ca_.get(), .require_client_certificate = true});
  EnrolledDevice a = env.Enroll(MakeFacts("WEB-2019-01", "2019"));
  auto missing = env.runner().AuthenticateDevice(a.bearer, TlsWithout());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(missing.status().message(), HasSubstr("--mtls"));
  auto beat =
      env.runner().Heartbeat(a.bearer, v1::HeartbeatRequest(), TlsWithout());
  EXPECT_EQ(beat.status().code(), absl::StatusCode::kUnauthenticated);
  // A wrong token is still a wrong token, whatever the certificate.
  auto wrong =
      env.runner().AuthenticateDevice("Bearer mdf_dev_wrong", TlsAs(a.id));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(env.runner().AuthenticateDevice(a.bearer, TlsAs(a.id)).ok());
}

TEST_F(ClientCertificatesTest, LongPollChecksTheCertificate) {
  TestEnv env({.client_ca = ca_.get()});
  EnrolledDevice a = env.Enroll(MakeFacts("WEB-2019-01", "2019"));
  service::LongPoller poller(env.runner(), env.clock(), 1);
  std::promise<absl::Status> done;
  v1::PollTasksRequest request;
  request.mutable_max_wait()->set_seconds(0);
  poller.Poll(
      a.bearer, request,
      [&done](absl::StatusOr<v1::PollTasksResponse> result) {
        done.set_value(result.status());
      },
      TlsAs("dev-someone-else"));
  absl::Status status = done.get_future().get();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(status.message(), HasSubstr("another device"));
  poller.Stop();
}

}  // namespace
}  // namespace mdefleet::testing

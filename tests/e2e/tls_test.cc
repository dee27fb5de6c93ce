// TLS with the real binaries: the CLI and runners pin init's CA and refuse a
// server certificate from another CA; plaintext is refused off loopback on
// both ends; runners enrolled over TLS present a client certificate bound to
// their device, required by default (serve --mtls is accepted and changes
// nothing). The attacks on certificates: tests/e2e/attack/.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/tls/certificate_authority.h"
#include "common/tls/client_certificate.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "tests/e2e/e2e_environment.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using Transport = E2eEnvironment::Transport;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

// A CA certificate from another mdefleet installation.
std::string OtherCaPem() {
  auto ca =
      tls::CertificateAuthority::Create("another mdefleet CA", absl::Now());
  EXPECT_TRUE(ca.ok()) << ca.status();
  return ca.ok() ? *(*ca)->CertificatePem() : "";
}

// A device enrolled by the test itself over TLS, with its own key.
struct TestDevice {
  std::string id;
  std::string token;
  std::string key_pem;
  std::string certificate_pem;
};

std::unique_ptr<v1::RunnerService::Stub> RunnerStub(
    const E2eEnvironment& env, const std::string& key_pem = "",
    const std::string& certificate_pem = "") {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadWholeFile(env.ca_cert_path());
  tls.pem_private_key = key_pem;
  tls.pem_cert_chain = certificate_pem;
  return v1::RunnerService::NewStub(
      grpc::CreateChannel(env.server_address(), grpc::SslCredentials(tls)));
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& credential) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", credential));
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  return context;
}

TestDevice EnrollOverTls(const E2eEnvironment& env,
                         const std::string& hostname) {
  auto key = tls::CreateKeyAndCsr(hostname);
  EXPECT_TRUE(key.ok());
  v1::EnrollRequest request;
  request.mutable_facts()->set_hostname(hostname);
  request.mutable_facts()->set_host_identity(absl::StrCat("guid-", hostname));
  request.mutable_facts()->set_os_version("10.0.17763.1");
  request.set_csr_pem(key->csr_pem);
  v1::EnrollResponse response;
  grpc::Status status = RunnerStub(env)->Enroll(
      Context(env.enrollment_secret()).get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.client_certificate_pem().empty());
  return {response.device_id(), response.device_token(), key->key_pem,
          response.client_certificate_pem()};
}

// A PollTasks that returns at once (no wait), as `token`, presenting
// `presented`'s certificate (none when null).
grpc::Status Poll(const E2eEnvironment& env, const std::string& token,
                  const TestDevice* presented) {
  auto stub = presented == nullptr ? RunnerStub(env)
                                   : RunnerStub(env, presented->key_pem,
                                                presented->certificate_pem);
  v1::PollTasksRequest request;
  request.mutable_max_wait()->set_seconds(0);
  v1::PollTasksResponse response;
  return stub->PollTasks(Context(token).get(), request, &response);
}

TEST(TlsTest, CliPinsTheCa) {
  auto env = E2eEnvironment::Start({}, Transport::kTls);
  ASSERT_TRUE(env.ok()) << env.status();
  ProcessOutput pinned = (*env)->Ctl({"devices", "list"});
  EXPECT_EQ(pinned.exit_code, 0) << pinned.err;

  // A server certificate from another CA is refused, quickly and clearly.
  const std::string other = (*env)->dir() + "/other-ca.pem";
  WriteFile(other, OtherCaPem());
  const absl::Time start = absl::Now();
  ProcessOutput refused =
      (*env)->Ctl({"devices", "list", "--timeout", "20s"},
                  {absl::StrCat("MDEFLEET_CA_CERT=", other)});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_LT(absl::Now() - start, absl::Seconds(15)) << "not a hang";
  EXPECT_THAT(refused.err, HasSubstr("cannot reach mdefleet-server"));
  EXPECT_THAT(refused.err, HasSubstr("not issued by the CA in --ca-cert"));
  EXPECT_THAT(refused.err, HasSubstr(other));
  EXPECT_THAT(refused.err, ::testing::Not(HasSubstr((*env)->admin_token())));

  // Plaintext to a TLS server fails and says what to pass.
  ProcessOutput plaintext = (*env)->Ctl({"devices", "list", "--timeout", "20s"},
                                        {"MDEFLEET_CA_CERT="});
  EXPECT_EQ(plaintext.exit_code, 1);
  EXPECT_THAT(plaintext.err, HasSubstr("pass --ca-cert"));
}

TEST(TlsTest, RunnerPinsTheCa) {
  auto env = E2eEnvironment::Start({}, Transport::kTls);
  ASSERT_TRUE(env.ok()) << env.status();
  const std::string other = (*env)->dir() + "/other-ca.pem";
  WriteFile(other, OtherCaPem());
  ProcessOutput runner = RunCommand(
      {MDEFLEET_RUNNER_BIN, "--server", (*env)->server_address(), "--ca-cert",
       other, "--enrollment-secret", (*env)->enrollment_secret(), "--state-dir",
       (*env)->dir() + "/wrong-ca-runner", "--simulate", "ws2019"},
      (*env)->dir() + "/wrong-ca-runner", {}, absl::Seconds(4));
  EXPECT_THAT(runner.err, HasSubstr("server unavailable for enrollment"));
  v1::ListDevicesResponse devices;
  ASSERT_TRUE((*env)->CtlJson({"devices", "list"}, &devices).ok());
  EXPECT_EQ(devices.devices_size(), 0);
}

TEST(TlsTest, PlaintextIsRefusedOffLoopback) {
  const std::string dir = ::testing::TempDir() + "/mdefleet-tls-plaintext";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = dir + "/m.db";
  ProcessOutput init =
      RunCommand({MDEFLEET_SERVER_BIN, "init", "--db", db}, dir + "/init");
  ASSERT_EQ(init.exit_code, 0) << init.err;

  ProcessOutput plaintext =
      RunCommand({MDEFLEET_SERVER_BIN, "serve", "--db", db, "--listen",
                  "0.0.0.0:0", "--plaintext"},
                 dir + "/serve-plaintext", {}, absl::Seconds(20));
  EXPECT_EQ(plaintext.exit_code, 1);
  EXPECT_THAT(plaintext.err, HasSubstr("--listen 0.0.0.0:0"));
  EXPECT_THAT(plaintext.err, HasSubstr("loopback"));

  // A database without a certificate (init put it elsewhere).
  const std::string bare = dir + "/bare.db";
  ASSERT_EQ(RunCommand({MDEFLEET_SERVER_BIN, "init", "--db", bare, "--tls-dir",
                        dir + "/elsewhere"},
                       dir + "/init-bare")
                .exit_code,
            0);
  ProcessOutput no_cert = RunCommand(
      {MDEFLEET_SERVER_BIN, "serve", "--db", bare, "--listen", "[::]:0"},
      dir + "/serve-no-cert", {}, absl::Seconds(20));
  EXPECT_EQ(no_cert.exit_code, 1);
  EXPECT_THAT(no_cert.err, HasSubstr("--listen [::]:0"));
  EXPECT_THAT(no_cert.err, HasSubstr("--tls-cert"));

  // The CLI and the runner refuse to send tokens in clear over a network.
  ProcessOutput ctl = RunCommand(
      {MDEFLEET_CTL_BIN, "--server", "192.0.2.10:7443", "devices", "list"},
      dir + "/ctl", {"MDEFLEET_TOKEN=mdf_admin_x", "MDEFLEET_CA_CERT="});
  EXPECT_EQ(ctl.exit_code, 2);
  EXPECT_THAT(ctl.err, HasSubstr("--server 192.0.2.10:7443"));
  EXPECT_THAT(ctl.err, HasSubstr("pass --ca-cert"));
  ProcessOutput runner =
      RunCommand({MDEFLEET_RUNNER_BIN, "--server", "192.0.2.10:7443",
                  "--enrollment-secret", "mdf_enroll_x", "--state-dir",
                  dir + "/runner", "--simulate", "ws2019"},
                 dir + "/runner");
  EXPECT_EQ(runner.exit_code, 2);
  EXPECT_THAT(runner.err, HasSubstr("pass --ca-cert"));
  std::filesystem::remove_all(dir);
}

TEST(TlsTest, ClientCertificateIsBoundToItsDevice) {
  auto env = E2eEnvironment::Start({}, Transport::kTls);
  ASSERT_TRUE(env.ok()) << env.status();
  TestDevice a = EnrollOverTls(**env, "TLS-A");
  TestDevice b = EnrollOverTls(**env, "TLS-B");
  auto id = tls::DeviceIdOfCertificate(a.certificate_pem);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, a.id);

  grpc::Status own = Poll(**env, a.token, &a);
  EXPECT_TRUE(own.ok()) << own.error_message();
  // Required by default (no --mtls needed).
  grpc::Status none = Poll(**env, a.token, nullptr);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(none.error_message(), HasSubstr("enroll it again over TLS"));
  grpc::Status swapped = Poll(**env, a.token, &b);
  EXPECT_EQ(swapped.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(swapped.error_message(),
              HasSubstr("client certificate belongs to another device"));
}

TEST(TlsTest, MtlsRunnerWorksAndCallsWithoutItsCertificateAreRefused) {
  auto env = E2eEnvironment::Start({"--mtls"}, Transport::kTls);
  ASSERT_TRUE(env.ok()) << env.status();

  // The real runner enrolls over TLS, stores its certificate and runs a job
  // (poll, step reports and artifact downloads all under --mtls).
  ASSERT_TRUE((*env)->StartRunner("ws2019", {"--sim-delay-ms", "100"}).ok());
  ASSERT_TRUE((*env)->WaitForDevices(1, absl::Seconds(60)).ok());
  bool has_certificate = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           (*env)->runner_state_dir(0))) {
    if (entry.path().filename() == "client.pem") {
      has_certificate = true;
      EXPECT_THAT(ReadWholeFile(entry.path().string()),
                  HasSubstr("BEGIN CERTIFICATE"));
    }
    if (entry.path().filename() == "client.key") {
      EXPECT_THAT(ReadWholeFile(entry.path().string()),
                  ::testing::Not(HasSubstr("PRIVATE KEY")));
    }
  }
  EXPECT_TRUE(has_certificate);
  auto onboarding = (*env)->UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();
  ProcessOutput job =
      (*env)->Ctl({"jobs", "submit", "onboard", "--target", "all",
                   "--onboarding-script", *onboarding, "--watch"});
  EXPECT_EQ(job.exit_code, 0) << job.out << job.err << (*env)->server_log();

  TestDevice a = EnrollOverTls(**env, "TLS-A");
  TestDevice b = EnrollOverTls(**env, "TLS-B");
  EXPECT_TRUE(Poll(**env, a.token, &a).ok());
  grpc::Status missing = Poll(**env, a.token, nullptr);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(missing.error_message(), HasSubstr("enroll it again over TLS"));
  grpc::Status swapped = Poll(**env, a.token, &b);
  EXPECT_EQ(swapped.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(swapped.error_message(), HasSubstr("another device"));
  // A certificate from another CA does not even get through the handshake.
  auto other_ca = tls::CertificateAuthority::Create("other", absl::Now());
  ASSERT_TRUE(other_ca.ok());
  auto forged_key = tls::CreateKeyAndCsr("forged");
  ASSERT_TRUE(forged_key.ok());
  auto forged_cert = (*other_ca)->IssueClientCertificate(forged_key->csr_pem,
                                                         a.id, absl::Now());
  ASSERT_TRUE(forged_cert.ok());
  TestDevice forged{a.id, a.token, forged_key->key_pem, *forged_cert};
  EXPECT_FALSE(Poll(**env, a.token, &forged).ok());
}

}  // namespace
}  // namespace mdefleet::testing

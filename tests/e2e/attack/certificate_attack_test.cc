// Attacks on the runners' identity, against the real TLS server and a real
// runner (issue 16, point 2: device keys are the identity). The attacker
// reads what it can of a victim runner's state directory (the simulated
// machine's DPAPI stand-in is opened as any process on the victim could)
// and calls the RunnerService with its own gRPC client:
//  (a) the device token without the device's key, reporting no host
//      identity or the victim's, is refused by default;
//  (b) the device's own certificate is refused once a renewal replaced it;
//  (c) revoking the device refuses its certificate at once, a long poll
//      already waiting on an open connection included;
//  (d) a runner whose certificate is short-lived renews it by itself over
//      its authenticated channel and keeps working;
//  (e) --allow-token-only-runners lets a token alone in again, and the
//      server log says so.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/tls/client_certificate.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "runner/client/identity_store.h"
#include "runner/facts/fact_collector.h"
#include "runner/host/sim/simulated_host.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/testing/eventually.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using Transport = E2eEnvironment::Transport;

// What an attacker takes from a victim runner's state directory.
struct RunnerSecrets {
  std::string device_id;
  std::string token;
  std::string key_pem;
  std::string certificate_pem;
  v1::DeviceFacts facts;  // as the victim reports them
};

absl::StatusOr<RunnerSecrets> ReadRunnerState(const E2eEnvironment& env,
                                              int index) {
  runner::sim::SimulatedHostOptions options;
  options.root_dir = env.runner_state_dir(index);
  options.hostname = "unused";  // the machine is loaded from its state file
  ASSIGN_OR_RETURN(std::unique_ptr<runner::sim::SimulatedHost> host,
                   runner::sim::SimulatedHost::Create(std::move(options)));
  ASSIGN_OR_RETURN(std::optional<runner::RunnerIdentity> identity,
                   runner::LoadIdentity(*host));
  ASSIGN_OR_RETURN(std::optional<runner::ClientCertificate> certificate,
                   runner::LoadClientCertificate(*host));
  if (!identity || !certificate) {
    return absl::NotFoundError("the runner has no identity or certificate");
  }
  RunnerSecrets out;
  out.device_id = identity->device_id;
  out.token = identity->device_token;
  out.key_pem = certificate->key_pem;
  out.certificate_pem = certificate->certificate_pem;
  ASSIGN_OR_RETURN(out.facts, runner::CollectFacts(*host, {}));
  return out;
}

// A RunnerService client pinned to the server's CA, presenting `key_pem`
// and `certificate_pem` when given.
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

std::unique_ptr<grpc::ClientContext> Context(const std::string& credential,
                                             absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", credential));
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

grpc::Status Poll(v1::RunnerService::Stub& stub, const std::string& token,
                  const v1::DeviceFacts* facts, int64_t max_wait_seconds = 0) {
  v1::PollTasksRequest request;
  if (facts != nullptr) *request.mutable_facts() = *facts;
  request.mutable_max_wait()->set_seconds(max_wait_seconds);
  v1::PollTasksResponse response;
  return stub.PollTasks(
      Context(token, absl::Seconds(max_wait_seconds + 20)).get(), request,
      &response);
}

int Occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Everything runner `index` logged, over all its launches.
std::string RunnerLog(const E2eEnvironment& env, int index) {
  const std::string prefix = absl::StrCat("runner", index, "-");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(env.dir())) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, prefix) &&
        (absl::EndsWith(name, ".err") || absl::EndsWith(name, ".out"))) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::string out;
  for (const std::string& file : files) out += ReadWholeFile(file);
  return out;
}

// mdefleet_long_polls_held from the server's /metrics (-1 when unreadable).
int LongPollsHeld(const E2eEnvironment& env) {
  httplib::Client client(env.http_base_url());
  client.set_ca_cert_path(env.ca_cert_path());
  client.enable_server_certificate_verification(true);
  client.set_connection_timeout(5);
  httplib::Result result = client.Get(
      "/metrics",
      {{"Authorization", absl::StrCat("Bearer ", env.admin_token())}});
  if (!result || result->status != 200) return -1;
  for (absl::string_view line : absl::StrSplit(result->body, '\n')) {
    if (absl::ConsumePrefix(&line, "mdefleet_long_polls_held ")) {
      double value = 0;
      if (absl::SimpleAtod(absl::StripAsciiWhitespace(line), &value)) {
        return static_cast<int>(value);
      }
    }
  }
  return -1;
}

// A runner on a TLS server, enrolled; its secrets as an attacker reads them.
struct Victim {
  std::unique_ptr<E2eEnvironment> env;
  RunnerSecrets secrets;
};

Victim StartVictim(std::vector<std::string> serve_args) {
  Victim victim;
  auto env = E2eEnvironment::Start(std::move(serve_args), Transport::kTls);
  EXPECT_TRUE(env.ok()) << env.status();
  if (!env.ok()) return victim;
  victim.env = *std::move(env);
  EXPECT_TRUE(victim.env->StartRunner("ws2019", {"--sim-delay-ms", "50"}).ok());
  EXPECT_TRUE(victim.env->WaitForDevices(1, absl::Seconds(60)).ok())
      << victim.env->server_log();
  // The runner stores its certificate before its identity (identity_store.h).
  absl::StatusOr<RunnerSecrets> secrets;
  EXPECT_TRUE(Eventually(
      [&] {
        secrets = ReadRunnerState(*victim.env, 0);
        return secrets.ok();
      },
      absl::Seconds(20), absl::Milliseconds(100)))
      << secrets.status();
  if (secrets.ok()) victim.secrets = *std::move(secrets);
  return victim;
}

// The victim still works: a job on it (and on it alone: the attackers'
// devices never poll) succeeds.
void ExpectTheVictimStillWorks(E2eEnvironment& env, const Victim& victim) {
  ProcessOutput job = env.Ctl(
      {"jobs", "submit", "set_passive_mode", "--target",
       absl::StrCat("host:", victim.secrets.facts.hostname()), "--watch"});
  EXPECT_EQ(job.exit_code, 0) << job.out << job.err << env.server_log();
}

TEST(CertificateAttackTest, ACopiedTokenWithoutTheKeyIsRefused) {
  Victim victim = StartVictim({});
  ASSERT_NE(victim.env, nullptr);
  E2eEnvironment& env = *victim.env;
  const RunnerSecrets& stolen = victim.secrets;
  ASSERT_FALSE(stolen.token.empty());
  ASSERT_FALSE(stolen.facts.host_identity().empty());

  // The attacker's own machine: TLS, but not the victim's key.
  auto attacker = RunnerStub(env);
  v1::DeviceFacts no_identity = stolen.facts;
  no_identity.clear_host_identity();
  no_identity.set_hostname("ATTACKER-01");
  const std::vector<const v1::DeviceFacts*> reports = {nullptr, &no_identity,
                                                       &stolen.facts};
  for (const v1::DeviceFacts* facts : reports) {
    grpc::Status polled = Poll(*attacker, stolen.token, facts);
    EXPECT_EQ(polled.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << (facts == nullptr ? "no facts" : facts->hostname()) << ": "
        << polled.error_message();
    EXPECT_THAT(polled.error_message(), HasSubstr("client certificate"));
  }
  {
    v1::HeartbeatResponse response;
    grpc::Status status =
        attacker->Heartbeat(Context(stolen.token, absl::Seconds(20)).get(),
                            v1::HeartbeatRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // Nor can the token buy a certificate for a key of the attacker's.
  {
    auto key = tls::CreateKeyAndCsr("ATTACKER-01");
    ASSERT_TRUE(key.ok());
    v1::RenewClientCertificateRequest request;
    request.set_csr_pem(key->csr_pem);
    v1::RenewClientCertificateResponse response;
    grpc::Status status = attacker->RenewClientCertificate(
        Context(stolen.token, absl::Seconds(20)).get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << status.error_message();
    EXPECT_TRUE(response.client_certificate_pem().empty());
  }
  // Nor does a certificate of the attacker's own (enrolled) device help.
  {
    auto key = tls::CreateKeyAndCsr("ATTACKER-02");
    ASSERT_TRUE(key.ok());
    v1::EnrollRequest enroll;
    enroll.mutable_facts()->set_hostname("ATTACKER-02");
    enroll.mutable_facts()->set_host_identity("attacker-guid");
    enroll.mutable_facts()->set_os_version("10.0.17763.1");
    enroll.set_csr_pem(key->csr_pem);
    v1::EnrollResponse enrolled;
    grpc::Status status = attacker->Enroll(
        Context(env.enrollment_secret(), absl::Seconds(20)).get(), enroll,
        &enrolled);
    ASSERT_TRUE(status.ok()) << status.error_message();
    auto own = RunnerStub(env, key->key_pem, enrolled.client_certificate_pem());
    grpc::Status polled = Poll(*own, stolen.token, &stolen.facts);
    EXPECT_EQ(polled.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(polled.error_message(), HasSubstr("another device"));
  }
  // The key is what counts: with it the same token is served.
  auto with_key = RunnerStub(env, stolen.key_pem, stolen.certificate_pem);
  EXPECT_TRUE(Poll(*with_key, stolen.token, nullptr).ok());
  ExpectTheVictimStillWorks(env, victim);
  EXPECT_THAT(env.server_log(), ::testing::Not(HasSubstr(stolen.token)));
}

TEST(CertificateAttackTest, TheOldCertificateIsRefusedAfterRenewal) {
  // A certificate of lifetime L starts L/10 early and is renewed when a
  // third of 1.1 L is left: here about 13 s in, and presented on the next
  // poll (held at most 1 s), so the old certificate is still in its dates
  // (until 20 s) when it is tried after the renewal.
  Victim victim = StartVictim(
      {"--client-certificate-lifetime", "20s", "--poll-timeout", "1s"});
  ASSERT_NE(victim.env, nullptr);
  E2eEnvironment& env = *victim.env;
  const RunnerSecrets& old = victim.secrets;
  auto old_info = tls::ReadClientCertificate(old.certificate_pem);
  ASSERT_TRUE(old_info.ok()) << old_info.status();
  // The copy works while it is the device's certificate.
  auto copy = RunnerStub(env, old.key_pem, old.certificate_pem);
  grpc::Status before = Poll(*copy, old.token, nullptr);
  ASSERT_TRUE(before.ok()) << before.error_message();

  // The runner renews (when a third of its lifetime is left) and presents
  // the new certificate, which makes it the device's.
  ASSERT_TRUE(Eventually(
      [&] {
        return absl::StrContains(env.server_log(),
                                 "presented its renewed client certificate");
      },
      absl::Seconds(60), absl::Milliseconds(100)))
      << env.server_log() << RunnerLog(env, 0);
  EXPECT_THAT(env.server_log(),
              HasSubstr(absl::StrCat("the previous one (serial ",
                                     old_info->serial, ")")));
  // The old certificate, still valid by its dates, on a new connection and
  // on the one it used before, is refused.
  grpc::Status after = Poll(*copy, old.token, nullptr);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << after.error_message();
  EXPECT_THAT(after.error_message(),
              HasSubstr("is not the current certificate of device"));
  auto fresh = RunnerStub(env, old.key_pem, old.certificate_pem);
  EXPECT_EQ(Poll(*fresh, old.token, nullptr).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_LT(absl::Now(), old_info->not_after) << "the test ran too slowly";
  // The runner itself goes on with the new one.
  ExpectTheVictimStillWorks(env, victim);
}

TEST(CertificateAttackTest, RevocationRefusesTheCertificateAtOnce) {
  // Polls are held up to 60 s here, so "at once" is unmistakable.
  Victim victim = StartVictim({"--poll-timeout", "60s"});
  ASSERT_NE(victim.env, nullptr);
  E2eEnvironment& env = *victim.env;
  const RunnerSecrets& device = victim.secrets;
  // The device's own connection (its key and certificate) holds a long poll
  // open; the real runner is stopped so that poll is the only one.
  env.KillRunner(0);
  auto stub = RunnerStub(env, device.key_pem, device.certificate_pem);
  ASSERT_TRUE(Poll(*stub, device.token, nullptr).ok());
  ASSERT_TRUE(Eventually([&] { return LongPollsHeld(env) == 0; },
                         absl::Seconds(20), absl::Milliseconds(100)));
  std::future<grpc::Status> waiting = std::async(std::launch::async, [&] {
    return Poll(*stub, device.token, nullptr, /*max_wait_seconds=*/50);
  });
  ASSERT_TRUE(Eventually([&] { return LongPollsHeld(env) == 1; },
                         absl::Seconds(20), absl::Milliseconds(100)));

  ProcessOutput revoked =
      env.Ctl({"devices", "revoke", device.device_id, "--reason", "stolen"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  const absl::Time revoked_at = absl::Now();
  // Answered at once with the refusal, not at the end of its 50 s wait
  // with nothing.
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(60)),
            std::future_status::ready);
  grpc::Status answer = waiting.get();
  EXPECT_LT(absl::Now() - revoked_at, absl::Seconds(10));
  EXPECT_EQ(answer.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << answer.error_message();
  EXPECT_THAT(answer.error_message(), HasSubstr("revoked"));
  // The next call on the same connection, with the same certificate.
  grpc::Status next = Poll(*stub, device.token, nullptr);
  EXPECT_EQ(next.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // And the real runner, started again with its state, is refused too.
  ASSERT_TRUE(env.RestartRunner(0).ok());
  EXPECT_TRUE(Eventually(
      [&] { return absl::StrContains(RunnerLog(env, 0), "revoked"); },
      absl::Seconds(30), absl::Milliseconds(100)))
      << RunnerLog(env, 0);
}

TEST(CertificateAttackTest, AShortLivedCertificateIsRenewedAndKeepsWorking) {
  // Renewals about 9.5 s after each issue (see above): the runner's next
  // poll (held at most 1 s) leaves it 5 s before the certificate expires.
  Victim victim = StartVictim(
      {"--client-certificate-lifetime", "15s", "--poll-timeout", "1s"});
  ASSERT_NE(victim.env, nullptr);
  E2eEnvironment& env = *victim.env;
  auto first = tls::ReadClientCertificate(victim.secrets.certificate_pem);
  ASSERT_TRUE(first.ok()) << first.status();
  // Two renewals, each presented: by then the first certificate expired.
  ASSERT_TRUE(Eventually(
      [&] {
        return Occurrences(env.server_log(),
                           "presented its renewed client certificate") >= 2;
      },
      absl::Seconds(120), absl::Milliseconds(100)))
      << env.server_log() << RunnerLog(env, 0);
  EXPECT_GT(absl::Now(), first->not_after);
  const std::string runner_log = RunnerLog(env, 0);
  EXPECT_GE(Occurrences(runner_log, "renewed the client certificate"), 2)
      << runner_log;
  EXPECT_EQ(Occurrences(runner_log, "enrolled as device"), 1) << runner_log;
  EXPECT_THAT(env.server_log(), HasSubstr("renewed its client certificate"));
  // Still the same device, still working, on the renewed certificate.
  ExpectTheVictimStillWorks(env, victim);
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  ASSERT_EQ(devices.devices_size(), 1);
  EXPECT_EQ(devices.devices(0).id(), victim.secrets.device_id);
  // The key never reached a log.
  auto now_held = ReadRunnerState(env, 0);
  ASSERT_TRUE(now_held.ok()) << now_held.status();
  EXPECT_NE(now_held->certificate_pem, victim.secrets.certificate_pem);
  EXPECT_THAT(runner_log, ::testing::Not(HasSubstr("PRIVATE KEY")));
  EXPECT_THAT(env.server_log(), ::testing::Not(HasSubstr("PRIVATE KEY")));
}

TEST(CertificateAttackTest, TokenOnlyRunnersAreAnExplicitLoggedChoice) {
  Victim victim = StartVictim({"--allow-token-only-runners"});
  ASSERT_NE(victim.env, nullptr);
  E2eEnvironment& env = *victim.env;
  EXPECT_THAT(env.server_log(),
              HasSubstr("WARNING: --allow-token-only-runners"));
  EXPECT_THAT(env.server_log(),
              HasSubstr("a copied device token works from any host"));
  // The token alone is served in this mode...
  auto attacker = RunnerStub(env);
  grpc::Status polled = Poll(*attacker, victim.secrets.token, nullptr);
  EXPECT_TRUE(polled.ok()) << polled.error_message();
  // ...but a wrong certificate is still refused, and a runner still gets and
  // uses its certificate.
  auto key = tls::CreateKeyAndCsr("ATTACKER-03");
  ASSERT_TRUE(key.ok());
  v1::EnrollRequest enroll;
  enroll.mutable_facts()->set_hostname("ATTACKER-03");
  enroll.mutable_facts()->set_host_identity("attacker-guid-3");
  enroll.mutable_facts()->set_os_version("10.0.17763.1");
  enroll.set_csr_pem(key->csr_pem);
  v1::EnrollResponse enrolled;
  ASSERT_TRUE(
      attacker
          ->Enroll(Context(env.enrollment_secret(), absl::Seconds(20)).get(),
                   enroll, &enrolled)
          .ok());
  auto other = RunnerStub(env, key->key_pem, enrolled.client_certificate_pem());
  EXPECT_EQ(Poll(*other, victim.secrets.token, nullptr).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ExpectTheVictimStillWorks(env, victim);
}

}  // namespace
}  // namespace mdefleet::testing

// Attacks on enrollment with the real binaries (issue 16, points 1 and 3).
// The attacker holds the fleet's enrollment secret (Group Policy puts it on
// every server) and talks to the real server with its own gRPC client,
// claiming the host identity of a device whose real runner
// (mdefleet-sim-runner --simulate-fleet) is working:
// - with the identity a viewer token reads, and with the raw MachineGuid
//   (which the attacker may know otherwise: it is readable by any
//   administrator of the host, inventory tools, backups);
// - over plaintext, TLS and TLS with --mtls.
// Before: the attacker received the real device's id, token and a client
// certificate; the real runner was locked out and its work went to the
// attacker; nothing was audited or shown. Now: the attacker gets a new
// device flagged duplicate_identity, the real runner keeps polling and runs
// a job, and the claim shows in `devices get`, the HTTP API, the audit log
// and /metrics; the raw identity is never shown. A re-enrollment across
// enrollment-secret scopes is refused, and an admin's reset-identity lets a
// reinstalled runner (fresh state directory) take its device back, audited.
#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "common/tls/client_certificate.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/server/metrics/exposition_parser.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Transport = E2eEnvironment::Transport;

// The simulated host's MachineGuid, derived from its host name as the
// simulated machine does (runner/host/sim/sim_machine.cc): what an attacker
// reads off the real host's registry.
std::string SimulatedMachineGuid(const std::string& hostname) {
  const std::string h =
      absl::AsciiStrToUpper(Sha256Hex(absl::StrCat(hostname, "/machine")));
  return absl::AsciiStrToLower(
      absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4),
                   "-", h.substr(16, 4), "-", h.substr(20, 12)));
}

// "token: VALUE" of a `mdefleetctl ... create` output.
std::string CreatedValue(const ProcessOutput& created,
                         absl::string_view prefix) {
  for (absl::string_view line : absl::StrSplit(created.out, '\n')) {
    if (absl::ConsumePrefix(&line, prefix)) return std::string(line);
  }
  ADD_FAILURE() << "no " << prefix << " in: " << created.out << created.err;
  return "";
}

std::string ViewerToken(E2eEnvironment& env) {
  ProcessOutput created =
      env.Ctl({"tokens", "create", "attack-viewer", "--role", "viewer"});
  EXPECT_EQ(created.exit_code, 0) << created.err;
  return CreatedValue(created, "token: ");
}

// GET over the HTTP API with a bearer token: status and body.
std::pair<int, std::string> HttpGet(const E2eEnvironment& env,
                                    const std::string& target,
                                    const std::string& token) {
  httplib::Client client(env.http_base_url());
  client.set_connection_timeout(5);
  client.set_read_timeout(20);
  if (!env.ca_cert_path().empty()) {
    client.set_ca_cert_path(env.ca_cert_path());
    client.enable_server_certificate_verification(true);
  }
  httplib::Result result =
      client.Get(target.c_str(), {{"Authorization", "Bearer " + token}});
  if (!result) return {0, httplib::to_string(result.error())};
  return {result->status, result->body};
}

// The attacker's own runner client.
class Attacker {
 public:
  explicit Attacker(const E2eEnvironment& env) : env_(env) {}

  struct Enrolled {
    grpc::Status status;
    v1::EnrollResponse response;
  };

  // Enroll as a runner would, with `secret`, the given facts and (over TLS)
  // a CSR; `device_token` and the client certificate `key_pem`/`cert_pem`
  // are the proof of a device it holds, when it holds one.
  Enrolled Enroll(const std::string& secret, const v1::DeviceFacts& facts,
                  const std::string& device_token = "",
                  const std::string& key_pem = "",
                  const std::string& cert_pem = "") {
    v1::EnrollRequest request;
    *request.mutable_facts() = facts;
    request.set_device_token(device_token);
    if (!env_.ca_cert_path().empty()) {
      auto key = tls::CreateKeyAndCsr(facts.hostname());
      EXPECT_TRUE(key.ok());
      request.set_csr_pem(key->csr_pem);
      last_key_pem_ = key->key_pem;
    }
    Enrolled out;
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", secret));
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    out.status =
        Stub(key_pem, cert_pem)->Enroll(&context, request, &out.response);
    return out;
  }
  const std::string& last_key_pem() const { return last_key_pem_; }

 private:
  std::unique_ptr<v1::RunnerService::Stub> Stub(const std::string& key_pem,
                                                const std::string& cert_pem) {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (env_.ca_cert_path().empty()) {
      credentials = grpc::InsecureChannelCredentials();
    } else {
      grpc::SslCredentialsOptions tls;
      tls.pem_root_certs = ReadWholeFile(env_.ca_cert_path());
      tls.pem_private_key = key_pem;
      tls.pem_cert_chain = cert_pem;
      credentials = grpc::SslCredentials(tls);
    }
    return v1::RunnerService::NewStub(
        grpc::CreateChannel(env_.server_address(), credentials));
  }

  const E2eEnvironment& env_;
  std::string last_key_pem_;
};

v1::Device GetDevice(E2eEnvironment& env, const std::string& id) {
  v1::Device device;
  absl::Status read = env.CtlJson({"devices", "get", id}, &device);
  EXPECT_TRUE(read.ok()) << read;
  return device;
}

bool HasNeed(const v1::Device& device, absl::string_view need) {
  for (const v1::DeviceNeed& n : device.needs()) {
    if (n.need() == need) return true;
  }
  return false;
}

// A health_check of `device_id` alone is leased and run to its end by the
// device's runner: every step reported (the simulated server is not
// onboarded, so the checks of the sensor fail; the job fails, not times
// out).
void ExpectTheDevicesRunnerWorks(E2eEnvironment& env,
                                 const std::string& device_id) {
  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "health_check", "--target",
                           absl::StrCat("id:", device_id)},
                          &submitted)
                  .ok());
  v1::Job job = WaitForJobEnd(env, submitted.job().id(), absl::Seconds(90));
  EXPECT_EQ(job.counts().total(), 1u);
  EXPECT_EQ(job.counts().succeeded() + job.counts().failed(), 1u)
      << job.ShortDebugString();
  EXPECT_EQ(job.counts().timed_out(), 0u);
  uint32_t reported = 0;
  for (const auto& step : job.step_summary()) {
    reported += step.succeeded() + step.failed() + step.skipped();
    EXPECT_EQ(step.pending() + step.running(), 0u) << step.step_name();
  }
  EXPECT_GT(reported, 5u) << job.ShortDebugString();
  uint32_t succeeded = 0;
  for (const auto& step : job.step_summary()) succeeded += step.succeeded();
  EXPECT_GT(succeeded, 0u) << "no step ran on the device";
}

// Waits until the device was seen after `after` (its runner polls).
bool SeenAfter(E2eEnvironment& env, const std::string& id, absl::Time after,
               absl::Duration timeout) {
  return Eventually(
      [&] {
        v1::Device device;
        return env.CtlJson({"devices", "get", id}, &device).ok() &&
               absl::FromUnixSeconds(device.last_seen_at().seconds()) >
                   after + absl::Seconds(1);
      },
      timeout, kPollEvery);
}

struct Mode {
  const char* name;
  Transport transport;
  std::vector<std::string> serve_args;
};

class EnrollmentAttackTest : public ::testing::TestWithParam<Mode> {};

TEST_P(EnrollmentAttackTest, AClaimedHostIdentityGetsANewFlaggedDevice) {
  auto env_or =
      E2eEnvironment::Start(GetParam().serve_args, GetParam().transport);
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartFleet(1, 7, {}).ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok());
  v1::ListDevicesResponse listed;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &listed).ok());
  const v1::Device victim = listed.devices(0);
  const std::string hostname = victim.facts().hostname();
  const std::string guid = SimulatedMachineGuid(hostname);

  // What a viewer reads: the identity only as a hash, never the GUID.
  const std::string viewer = ViewerToken(env);
  auto [status, body] =
      HttpGet(env, absl::StrCat("/api/v1/devices/", victim.id()), viewer);
  ASSERT_EQ(status, 200) << body;
  EXPECT_THAT(body, Not(HasSubstr(guid)));
  EXPECT_THAT(body, HasSubstr(Sha256Hex(guid)));
  v1::Device read;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(body, &read).ok());
  ProcessOutput listing = env.Ctl({"devices", "list", "-o", "json"});
  EXPECT_THAT(listing.out, Not(HasSubstr(guid)));
  ProcessOutput shown = env.Ctl({"devices", "get", victim.id()});
  EXPECT_THAT(shown.out, Not(HasSubstr(guid)));
  EXPECT_THAT(env.server_log(), Not(HasSubstr(guid)));

  // The attack: enroll claiming the victim's identity, first as the viewer
  // read it, then with the raw MachineGuid.
  const absl::Time attack = absl::Now();
  Attacker attacker(env);
  const std::string secret =
      std::string(absl::StripAsciiWhitespace(env.enrollment_secret()));
  v1::DeviceFacts claimed = victim.facts();
  claimed.clear_host_identity_sha256();
  claimed.set_host_identity(read.facts().host_identity().empty()
                                ? read.facts().host_identity_sha256()
                                : read.facts().host_identity());
  Attacker::Enrolled as_read = attacker.Enroll(secret, claimed);
  ASSERT_TRUE(as_read.status.ok()) << as_read.status.error_message();
  ASSERT_NE(as_read.response.device_id(), victim.id())
      << "the identity a viewer reads took the device over";
  claimed.set_host_identity(guid);
  Attacker::Enrolled as_raw = attacker.Enroll(secret, claimed);
  ASSERT_TRUE(as_raw.status.ok()) << as_raw.status.error_message();
  ASSERT_NE(as_raw.response.device_id(), victim.id())
      << "the raw MachineGuid took the device over";
  const std::string duplicate = as_raw.response.device_id();

  // The real runner keeps polling and runs a job on its device.
  EXPECT_TRUE(SeenAfter(env, victim.id(), attack, absl::Seconds(30)))
      << env.server_log();
  ExpectTheDevicesRunnerWorks(env, victim.id());

  // The attacker's device is flagged; the claim shows on the victim.
  const v1::Device flagged = GetDevice(env, duplicate);
  EXPECT_TRUE(HasNeed(flagged, "duplicate_identity"))
      << flagged.ShortDebugString();
  EXPECT_EQ(flagged.enrollment().duplicate_of(), victim.id());
  v1::ListDevicesResponse duplicates;
  ASSERT_TRUE(env.CtlJson({"devices", "list", "--needs", "duplicate_identity"},
                          &duplicates)
                  .ok());
  ASSERT_EQ(duplicates.devices_size(), 1);
  EXPECT_EQ(duplicates.devices(0).id(), duplicate);
  const v1::Device claimed_device = GetDevice(env, victim.id());
  EXPECT_EQ(claimed_device.enrollment().enrollments(), 1u);
  EXPECT_EQ(claimed_device.enrollment().refused_claims(), 1u);
  ASSERT_GE(claimed_device.enrollment().recent_refused_claims_size(), 1);
  EXPECT_EQ(
      claimed_device.enrollment().recent_refused_claims(0).new_device_id(),
      duplicate);
  EXPECT_FALSE(HasNeed(claimed_device, "duplicate_identity"));
  ProcessOutput table = env.Ctl({"devices", "get", victim.id()});
  EXPECT_THAT(table.out, HasSubstr("REFUSED CLAIM"));
  EXPECT_THAT(table.out, HasSubstr(absl::StrCat("new device ", duplicate)));
  ProcessOutput advice = env.Ctl({"devices", "get", duplicate});
  EXPECT_THAT(advice.out,
              HasSubstr(absl::StrCat("devices reset-identity ", victim.id())));
  auto [api_status, api_body] =
      HttpGet(env, absl::StrCat("/api/v1/devices/", victim.id()), viewer);
  EXPECT_EQ(api_status, 200);
  EXPECT_THAT(api_body, HasSubstr("\"refusedClaims\":1"));

  v1::ListAuditLogResponse audit;
  ASSERT_TRUE(
      env.CtlJson({"audit", "list", "--target", victim.id()}, &audit).ok());
  ASSERT_EQ(audit.entries_size(), 1) << audit.ShortDebugString();
  EXPECT_EQ(audit.entries(0).action(), "claim_host_identity");
  EXPECT_EQ(audit.entries(0).outcome(), "refused");
  EXPECT_THAT(audit.entries(0).detail(), HasSubstr(duplicate));

  auto [metrics_status, metrics_body] = HttpGet(env, "/metrics", viewer);
  ASSERT_EQ(metrics_status, 200) << metrics_body;
  absl::StatusOr<Exposition> metrics = ParseExposition(metrics_body);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->Value("mdefleet_enrollments_total",
                           {{"outcome", "duplicate_identity"}}),
            1.0);
  EXPECT_EQ(metrics->Value("mdefleet_enrollments_total", {{"outcome", "new"}}),
            2.0);  // the real runner and the hash-as-identity attempt
  EXPECT_EQ(
      metrics->Value("mdefleet_enrollments_total", {{"outcome", "reenrolled"}}),
      0.0);
  EXPECT_THAT(env.server_log(), HasSubstr("claim_host_identity of device"));
  EXPECT_THAT(env.server_log(), Not(HasSubstr(guid)));
}

// The scoped-secret takeover: a secret scoped to site=paris claims a device
// enrolled with a site=tokyo secret, without proof (a duplicate, labelled
// paris; the tokyo device keeps its labels) and with proof of the device
// (refused: re-enrollment across enrollment-secret scopes).
TEST_P(EnrollmentAttackTest, AnotherScopesSecretCannotTakeADeviceOver) {
  auto env_or =
      E2eEnvironment::Start(GetParam().serve_args, GetParam().transport);
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  auto secret = [&](const std::string& site) {
    ProcessOutput created =
        env.Ctl({"enroll-secrets", "create", site, "--label", "site=" + site});
    EXPECT_EQ(created.exit_code, 0) << created.err;
    return CreatedValue(created, "enrollment secret: ");
  };
  const std::string tokyo = secret("tokyo");
  const std::string paris = secret("paris");
  ASSERT_FALSE(tokyo.empty());
  ASSERT_FALSE(paris.empty());

  Attacker tokyo_host(env);
  v1::DeviceFacts facts;
  facts.set_hostname("TOKYO-APP-01");
  facts.set_host_identity("9b2f6a4e-0c1d-4e5f-8a9b-0c1d2e3f4a5b");
  facts.set_os_version("10.0.17763.5122");
  Attacker::Enrolled victim = tokyo_host.Enroll(tokyo, facts);
  ASSERT_TRUE(victim.status.ok()) << victim.status.error_message();
  const std::string victim_key = tokyo_host.last_key_pem();

  Attacker attacker(env);
  Attacker::Enrolled claim = attacker.Enroll(paris, facts);
  ASSERT_TRUE(claim.status.ok()) << claim.status.error_message();
  ASSERT_NE(claim.response.device_id(), victim.response.device_id())
      << "a paris secret took the tokyo device over";
  EXPECT_EQ(
      GetDevice(env, claim.response.device_id()).facts().labels().at("site"),
      "paris");
  EXPECT_EQ(
      GetDevice(env, victim.response.device_id()).facts().labels().at("site"),
      "tokyo");

  // With the device's proof (its certificate over TLS, its token on
  // plaintext), across scopes: refused, naming the secret and both scopes.
  const bool tls = GetParam().transport == Transport::kTls;
  Attacker::Enrolled crossed =
      tls ? attacker.Enroll(paris, facts, "", victim_key,
                            victim.response.client_certificate_pem())
          : attacker.Enroll(paris, facts, victim.response.device_token());
  EXPECT_EQ(crossed.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << crossed.status.error_message();
  EXPECT_THAT(crossed.status.error_message(),
              HasSubstr("re-enrollment across enrollment-secret scopes"));
  EXPECT_THAT(crossed.status.error_message(), HasSubstr("site=paris"));
  EXPECT_THAT(crossed.status.error_message(), HasSubstr("site=tokyo"));
  EXPECT_EQ(
      GetDevice(env, victim.response.device_id()).facts().labels().at("site"),
      "tokyo");
  // The same proof within the device's scope re-enrolls it.
  Attacker::Enrolled same =
      tls ? attacker.Enroll(tokyo, facts, "", victim_key,
                            victim.response.client_certificate_pem())
          : attacker.Enroll(tokyo, facts, victim.response.device_token());
  ASSERT_TRUE(same.status.ok()) << same.status.error_message();
  EXPECT_EQ(same.response.device_id(), victim.response.device_id());

  v1::ListAuditLogResponse audit;
  ASSERT_TRUE(
      env.CtlJson({"audit", "list", "--target", victim.response.device_id()},
                  &audit)
          .ok());
  std::vector<std::string> seen;
  for (const v1::AuditEntry& e : audit.entries()) {
    seen.push_back(absl::StrCat(e.action(), "/", e.outcome(), "/", e.actor()));
  }
  EXPECT_THAT(seen, ::testing::ElementsAre(
                        "reenroll_device/ok/enrollment secret \"tokyo\"",
                        "reenroll_device/refused/enrollment secret \"paris\"",
                        "claim_host_identity/refused/enrollment secret "
                        "\"paris\""));
  const v1::Device shown = GetDevice(env, victim.response.device_id());
  EXPECT_EQ(shown.enrollment().enrollments(), 2u);
  EXPECT_EQ(shown.enrollment().refused_claims(), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Transports, EnrollmentAttackTest,
    ::testing::Values(Mode{"plaintext", Transport::kPlaintext, {}},
                      Mode{"tls", Transport::kTls, {}},
                      Mode{"mtls", Transport::kTls, {"--mtls"}}),
    [](const ::testing::TestParamInfo<Mode>& info) { return info.param.name; });

// A reinstalled server (the same host name and MachineGuid, an empty state
// directory) cannot prove it holds its device; an admin's reset-identity
// lets its runner take the device back, once, audited.
TEST(EnrollmentResetAttackTest, ResetIdentityLetsAReinstalledRunnerBackIn) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  auto first = env.StartFleet(1, 7, {});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok());
  v1::ListDevicesResponse listed;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &listed).ok());
  const std::string device = listed.devices(0).id();
  env.KillRunner(*first);  // the old installation is gone

  ProcessOutput no_reason = env.Ctl({"devices", "reset-identity", device});
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason.err;
  EXPECT_THAT(no_reason.err, HasSubstr("--reason is required"));
  ProcessOutput unknown =
      env.Ctl({"devices", "reset-identity", "dev-00000000", "--reason", "x"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("no device \"dev-00000000\""));
  ProcessOutput reset = env.Ctl(
      {"devices", "reset-identity", device, "--reason", "server reinstalled"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_THAT(reset.out, HasSubstr("the next enrollment reporting its host "
                                   "identity takes it over"));

  // The reinstalled server's runner: same machine, fresh state directory.
  auto second = env.StartFleet(1, 7, {});
  ASSERT_TRUE(second.ok());
  v1::Device taken;
  ASSERT_TRUE(Eventually(
      [&] {
        taken = GetDevice(env, device);
        return taken.enrollment().enrollments() >= 2;
      },
      absl::Seconds(60), kPollEvery))
      << env.server_log();
  ASSERT_EQ(taken.enrollment().enrollments(), 2u) << env.server_log();
  EXPECT_EQ(taken.enrollment().last_reenrolled_by(), "identity reset");
  EXPECT_FALSE(taken.enrollment().has_pending_identity_reset());
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &listed).ok());
  EXPECT_EQ(listed.devices_size(), 1) << "no duplicate for the reinstall";
  ExpectTheDevicesRunnerWorks(env, device);

  v1::ListAuditLogResponse audit;
  ASSERT_TRUE(env.CtlJson({"audit", "list", "--target", device}, &audit).ok());
  std::vector<std::string> seen;
  for (const v1::AuditEntry& e : audit.entries()) {
    seen.push_back(absl::StrCat(e.action(), "/", e.outcome()));
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("take_over_device/ok",
                                           "reset_device_identity/ok"))
      << audit.ShortDebugString();
  EXPECT_THAT(audit.entries(1).detail(), HasSubstr("server reinstalled"));
  v1::ListDevicesResponse none;
  ASSERT_TRUE(
      env.CtlJson({"devices", "list", "--needs", "duplicate_identity"}, &none)
          .ok());
  EXPECT_EQ(none.devices_size(), 0);
}

}  // namespace
}  // namespace mdefleet::testing

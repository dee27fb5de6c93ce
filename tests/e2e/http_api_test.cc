// The HTTP API with the real binaries: a simulated fleet rolls out an
// onboard job while a dashboard reads /api/v1/summary, /api/v1/jobs/{id} and
// /api/v1/devices over HTTP with a viewer token made by `mdefleetctl tokens
// create`; the answers are the messages mdefleetctl reads over gRPC. Over
// TLS the HTTP port serves the gRPC port's certificate.
#include <httplib.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "mdefleet/v1/http_api.pb.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/server/metrics/exposition_parser.h"
#include "tests/testing/eventually.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using Transport = E2eEnvironment::Transport;

constexpr int kDevices = 6;

// "token: VALUE" of `mdefleetctl tokens create`.
std::string CreateViewerToken(E2eEnvironment& env) {
  ProcessOutput created =
      env.Ctl({"tokens", "create", "dashboard", "--role", "viewer"});
  EXPECT_EQ(created.exit_code, 0) << created.err;
  for (absl::string_view line : absl::StrSplit(created.out, '\n')) {
    if (absl::ConsumePrefix(&line, "token: ")) return std::string(line);
  }
  ADD_FAILURE() << "no token in: " << created.out;
  return "";
}

class Dashboard {
 public:
  Dashboard(const E2eEnvironment& env, const std::string& token)
      : client_(env.http_base_url()), token_(token) {
    client_.set_connection_timeout(5);
    client_.set_read_timeout(20);
    if (!env.ca_cert_path().empty()) {
      client_.set_ca_cert_path(env.ca_cert_path());
      client_.enable_server_certificate_verification(true);
    }
  }

  // GET `target` with the token; the status and the body.
  std::pair<int, std::string> Get(const std::string& target,
                                  const std::string& authorization) {
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    httplib::Result result = client_.Get(target.c_str(), headers);
    if (!result) return {0, httplib::to_string(result.error())};
    return {result->status, result->body};
  }

  // `target`'s JSON parsed strictly into a `Message`, expecting 200.
  template <typename Message>
  Message Read(const std::string& target) {
    auto [status, body] = Get(target, absl::StrCat("Bearer ", token_));
    EXPECT_EQ(status, 200) << target << ": " << body;
    Message message;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(body, &message, options)
            .ok())
        << body;
    return message;
  }

 private:
  httplib::Client client_;
  std::string token_;
};

bool Final(const v1::Job& job) {
  return job.state() == v1::JOB_STATE_SUCCEEDED ||
         job.state() == v1::JOB_STATE_FAILED ||
         job.state() == v1::JOB_STATE_CANCELLED;
}

void ReadTheRolloutOverHttp(Transport transport) {
  auto env_or = E2eEnvironment::Start({}, transport);
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  EXPECT_THAT(env.server_log(),
              HasSubstr(absl::StrCat("http: listening on 127.0.0.1:",
                                     env.http_port())));
  ASSERT_TRUE(env.StartFleet(kDevices, 0, {}).ok());
  ASSERT_TRUE(env.WaitForDevices(kDevices, absl::Seconds(60)).ok());
  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();
  const std::string viewer = CreateViewerToken(env);
  ASSERT_FALSE(viewer.empty());
  Dashboard dashboard(env, viewer);

  v1::FleetSummary summary =
      dashboard.Read<v1::FleetSummary>("/api/v1/summary?offline_for=7d");
  EXPECT_EQ(summary.total(), static_cast<uint32_t>(kDevices));
  EXPECT_EQ(summary.offline_for().seconds(), 7 * 86400);

  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "onboard", "--target", "all",
                           "--onboarding-script", *onboarding},
                          &submitted)
                  .ok());
  const std::string id = submitted.job().id();

  // The dashboard follows the job until it ends.
  v1::Job job;
  static_cast<void>(Eventually(  // Final(job) is checked below
      [&] {
        job = dashboard.Read<v1::Job>("/api/v1/jobs/" + id);
        return Final(job) || ::testing::Test::HasFailure();
      },
      absl::Seconds(120), absl::Milliseconds(300)));
  ASSERT_TRUE(Final(job)) << job.ShortDebugString() << "\n" << env.server_log();
  EXPECT_EQ(job.id(), id);
  EXPECT_EQ(job.counts().total(), submitted.job().counts().total());
  EXPECT_GE(job.step_summary_size(), 1);
  // The same message mdefleetctl reads over gRPC.
  v1::Job over_grpc;
  ASSERT_TRUE(env.CtlJson({"jobs", "get", id}, &over_grpc).ok());
  EXPECT_EQ(job.state(), over_grpc.state());
  EXPECT_EQ(job.counts().SerializeAsString(),
            over_grpc.counts().SerializeAsString());
  EXPECT_EQ(job.failing_steps_size(), over_grpc.failing_steps_size());

  v1::ListJobsResponse jobs =
      dashboard.Read<v1::ListJobsResponse>("/api/v1/jobs?limit=10");
  ASSERT_EQ(jobs.jobs_size(), 1);
  EXPECT_EQ(jobs.jobs(0).id(), id);

  // Every device, two pages at a time, and one by id.
  std::vector<std::string> ids;
  std::string token;
  do {
    v1::ListDevicesResponse page = dashboard.Read<v1::ListDevicesResponse>(
        "/api/v1/devices?page_size=4" +
        (token.empty() ? "" : "&page_token=" + token));
    EXPECT_EQ(page.total(), static_cast<uint32_t>(kDevices));
    for (const v1::Device& d : page.devices()) ids.push_back(d.id());
    token = page.next_page_token();
  } while (!token.empty() && ids.size() <= kDevices);
  ASSERT_EQ(ids.size(), static_cast<size_t>(kDevices));
  v1::Device device = dashboard.Read<v1::Device>("/api/v1/devices/" + ids[0]);
  EXPECT_EQ(device.id(), ids[0]);
  v1::ListTasksResponse tasks = dashboard.Read<v1::ListTasksResponse>(
      "/api/v1/jobs/" + id + "/tasks?page_size=100");
  EXPECT_EQ(tasks.tasks_size(), static_cast<int>(job.counts().total()));

  // Credentials other than an API token are refused, and never echoed.
  auto [anonymous, anonymous_body] = dashboard.Get("/api/v1/summary", "");
  EXPECT_EQ(anonymous, 401) << anonymous_body;
  const std::string secret =
      std::string(absl::StripAsciiWhitespace(env.enrollment_secret()));
  auto [runner, runner_body] =
      dashboard.Get("/api/v1/summary", absl::StrCat("Bearer ", secret));
  EXPECT_EQ(runner, 403) << runner_body;
  EXPECT_THAT(runner_body, HasSubstr("use a viewer token"));
  EXPECT_THAT(runner_body, ::testing::Not(HasSubstr(secret)));
  auto [missing, missing_body] = dashboard.Get("/api/v1/jobs/job-000000000000",
                                               absl::StrCat("Bearer ", viewer));
  EXPECT_EQ(missing, 404) << missing_body;
  EXPECT_THAT(env.server_log(), ::testing::Not(HasSubstr(viewer)));

  // /metrics parses under the strict exposition-format parser and agrees
  // with what the API says about the same fleet and job.
  auto [metrics_status, metrics_body] =
      dashboard.Get("/metrics", absl::StrCat("Bearer ", viewer));
  ASSERT_EQ(metrics_status, 200) << metrics_body;
  absl::StatusOr<Exposition> parsed = ParseExposition(metrics_body);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << metrics_body;
  const ParsedFamily* devices = parsed->Family("mdefleet_devices");
  ASSERT_NE(devices, nullptr);
  double device_sum = 0;
  for (const ParsedSample& sample : devices->samples) {
    device_sum += sample.value;
  }
  EXPECT_EQ(device_sum, kDevices);
  const std::string job_state = absl::AsciiStrToLower(
      absl::StripPrefix(v1::JobState_Name(job.state()), "JOB_STATE_"));
  EXPECT_EQ(parsed->Value("mdefleet_jobs", {{"state", job_state}}), 1.0);
  EXPECT_EQ(parsed->Value("mdefleet_tasks",
                          {{"job_kind", "onboard"}, {"state", "succeeded"}}),
            static_cast<double>(job.counts().succeeded()));
  EXPECT_EQ(parsed->Value("mdefleet_runners", {{"status", "online"}}),
            static_cast<double>(kDevices));
  EXPECT_GE(parsed
                ->Value("mdefleet_rpc_requests_total",
                        {{"service", "mdefleet.v1.RunnerService"},
                         {"method", "PollTasks"},
                         {"code", "OK"}})
                .value_or(0),
            kDevices);
  EXPECT_GE(parsed
                ->Value("mdefleet_http_requests_total",
                        {{"route", "/api/v1/jobs/{id}"}, {"code", "200"}})
                .value_or(0),
            1);
  EXPECT_GT(parsed->Value("mdefleet_sqlite_write_batch_size_count").value_or(0),
            0);
  auto [anonymous_metrics, anonymous_metrics_body] =
      dashboard.Get("/metrics", "");
  EXPECT_EQ(anonymous_metrics, 401) << anonymous_metrics_body;
}

TEST(EndToEndHttpApi, ADashboardReadsTheRolloutOverHttp) {
  ReadTheRolloutOverHttp(Transport::kPlaintext);
}

TEST(EndToEndHttpApi, OverTlsTheHttpPortServesHttpsWithTheSameCertificate) {
  ReadTheRolloutOverHttp(Transport::kTls);
}

TEST(EndToEndHttpApi, ARestartedServerServesHttpOnTheSamePort) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  const int port = env.http_port();
  env.KillServer();
  ASSERT_TRUE(env.RestartServer().ok());
  EXPECT_EQ(env.http_port(), port);
  Dashboard dashboard(env, env.admin_token());
  EXPECT_EQ(dashboard.Read<v1::FleetSummary>("/api/v1/summary").total(), 0u);
}

TEST(EndToEndHttpApi, BadHttpListenAddressesStopTheServerNamingTheFlag) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  env.KillServer();  // its database is used by the refused starts below
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--plaintext", "--http-listen", "0.0.0.0:0"},
       "--http-listen 0.0.0.0:0: --plaintext is allowed only on a loopback"},
      {{"--plaintext", "--http-listen", "127.0.0.1"},
       "--http-listen: \"127.0.0.1\" has no port; expected host:port"},
      {{"--plaintext", "--http-listen",
        absl::StrCat("127.0.0.1:", env.http_port()), "--http-port-file",
        env.dir() + "/missing/dir/http.port"},
       "--http-port-file: cannot write"}};
  int run = 0;
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> argv = {
        MDEFLEET_SERVER_BIN, "serve",    "--db",
        env.db_path(),       "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    ProcessOutput refused =
        RunCommand(argv, absl::StrCat(env.dir(), "/refused-", run++), {},
                   absl::Seconds(30));
    EXPECT_EQ(refused.exit_code, 1) << refused.err;
    EXPECT_THAT(refused.err, HasSubstr(message));
  }
}

}  // namespace
}  // namespace mdefleet::testing

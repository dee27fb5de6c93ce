// The HTTP API's routing against the real handlers and a real SQLite store:
// each route answers the gRPC API's message as JSON, filters and paging,
// 401/403/404/405/400/429, /metrics and the dashboard files, and no input
// that is not a JSON error.
#include "server/http/api_router.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/http/dashboard_assets.h"
#include "tests/server/http/http_fixture.h"

namespace mdefleet::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

class ApiRouterTest : public HttpApiFixture {
 protected:
  // The error of `response`, checking it is JSON with `status`.
  v1::HttpError Error(const http::HttpResponse& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(response.content_type, http::kJsonContentType);
    return ParseJson<v1::HttpError>(response.body);
  }
  std::string Header(const http::HttpResponse& response,
                     const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return "";
  }
  std::vector<std::string> Hostnames(const std::string& query) {
    http::HttpResponse response = ViewerGet("/api/v1/devices" + query);
    EXPECT_EQ(response.status, 200) << query << ": " << response.body;
    std::vector<std::string> hosts;
    const v1::ListDevicesResponse list =
        ParseJson<v1::ListDevicesResponse>(response.body);
    for (const v1::Device& d : list.devices()) {
      hosts.push_back(d.facts().hostname());
    }
    return hosts;
  }
};

TEST_F(ApiRouterTest, SummaryIsTheHandlersMessageAsJson) {
  http::HttpResponse response = ViewerGet("/api/v1/summary?offline_for=36h");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/json; charset=utf-8");
  v1::GetFleetSummaryRequest request;
  request.mutable_offline_for()->set_seconds(36 * 3600);
  auto expected =
      env_.admin().inventory().GetFleetSummary(env_.admin_bearer(), request);
  ASSERT_TRUE(expected.ok());
  EXPECT_TRUE(MessageDifferencer::Equals(
      ParseJson<v1::FleetSummary>(response.body), *expected));
  // The protobuf JSON mapping: lowerCamelCase, durations as "...s", enums
  // by name, zero counts printed.
  EXPECT_THAT(response.body, HasSubstr("\"offlineFor\":\"129600s\""));
  EXPECT_THAT(response.body, HasSubstr("\"osFamily\":\"OS_FAMILY_WS2019\""));
  EXPECT_THAT(response.body, HasSubstr("\"devices\":0"));
  EXPECT_EQ(ParseJson<v1::FleetSummary>(response.body).total(), 4u);
}

TEST_F(ApiRouterTest, JobsListFiltersByStateAndLimits) {
  auto job = env_.admin().jobs().GetJob(env_.admin_bearer(), [&] {
    v1::GetJobRequest r;
    r.set_job_id(job_id_);
    return r;
  }());
  ASSERT_TRUE(job.ok());
  const std::string state = absl::AsciiStrToLower(
      v1::JobState_Name(job->state()).substr(strlen("JOB_STATE_")));
  http::HttpResponse same = ViewerGet("/api/v1/jobs?state=" + state);
  ASSERT_EQ(same.status, 200) << same.body;
  ASSERT_EQ(ParseJson<v1::ListJobsResponse>(same.body).jobs_size(), 1);
  EXPECT_EQ(ParseJson<v1::ListJobsResponse>(same.body).jobs(0).id(), job_id_);
  // The full proto name works too; another state lists nothing.
  EXPECT_EQ(
      ParseJson<v1::ListJobsResponse>(
          ViewerGet("/api/v1/jobs?state=" + v1::JobState_Name(job->state()))
              .body)
          .jobs_size(),
      1);
  const std::string other =
      job->state() == v1::JOB_STATE_CANCELLED ? "succeeded" : "cancelled";
  http::HttpResponse none = ViewerGet("/api/v1/jobs?state=" + other);
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(ParseJson<v1::ListJobsResponse>(none.body).jobs_size(), 0);
  EXPECT_EQ(
      ParseJson<v1::ListJobsResponse>(ViewerGet("/api/v1/jobs?limit=1000").body)
          .jobs_size(),
      1);

  EXPECT_EQ(Error(ViewerGet("/api/v1/jobs?limit=1001"), 400).message(),
            "limit: at most 1000");
  v1::HttpError bad_state = Error(ViewerGet("/api/v1/jobs?state=runing"), 400);
  EXPECT_EQ(bad_state.code(), "INVALID_ARGUMENT");
  EXPECT_THAT(bad_state.message(),
              AllOf(HasSubstr("state: unknown value \"runing\""),
                    HasSubstr("running"), HasSubstr("paused")));
  EXPECT_THAT(Error(ViewerGet("/api/v1/jobs?state=unspecified"), 400).message(),
              HasSubstr("state: unknown value"));
}

TEST_F(ApiRouterTest, JobHasStepCountsAndFailingSteps) {
  http::HttpResponse response = ViewerGet("/api/v1/jobs/" + job_id_);
  ASSERT_EQ(response.status, 200) << response.body;
  v1::Job job = ParseJson<v1::Job>(response.body);
  EXPECT_EQ(job.id(), job_id_);
  EXPECT_EQ(job.counts().failed(), 1u);
  ASSERT_GE(job.failing_steps_size(), 1);
  EXPECT_EQ(job.failing_steps(0).step_name(), failed_step_);
  EXPECT_GE(job.step_summary_size(), 1);
  EXPECT_THAT(response.body, HasSubstr("\"stepSummary\""));
  EXPECT_THAT(response.body, HasSubstr("\"failingSteps\""));

  v1::HttpError unknown = Error(ViewerGet("/api/v1/jobs/job-000000"), 404);
  EXPECT_EQ(unknown.code(), "NOT_FOUND");
  EXPECT_EQ(unknown.message(), "job_id: no job \"job-000000\"");
  for (const std::string& bad : std::vector<std::string>{
           "%3Cscript%3E", "a%00b", "job-1;drop", std::string(200, 'a'), ""}) {
    v1::HttpError refused = Error(ViewerGet("/api/v1/jobs/" + bad), 404);
    EXPECT_THAT(refused.message(), HasSubstr("job_id: no such id")) << bad;
  }
  EXPECT_THAT(
      Error(ViewerGet("/api/v1/jobs/" + job_id_ + "?x=1"), 400).message(),
      HasSubstr("unknown parameter \"x\" (this route takes none)"));
}

// Failed steps' logs name hosts, accounts and paths: operators only.
TEST_F(ApiRouterTest, EvidenceNeedsAnOperatorAndADevice) {
  const std::string target =
      "/api/v1/jobs/" + job_id_ + "/evidence?device=" + web1_.id;
  EXPECT_EQ(Error(ViewerGet(target), 403).code(), "PERMISSION_DENIED");
  const std::string operator_bearer =
      Bearer(CreateToken("ops", v1::ROLE_OPERATOR));
  http::HttpResponse response = Get(target, operator_bearer);
  ASSERT_EQ(response.status, 200) << response.body;
  const v1::GetTaskEvidenceResponse evidence =
      ParseJson<v1::GetTaskEvidenceResponse>(response.body);
  EXPECT_FALSE(evidence.task_id().empty());
  EXPECT_EQ(evidence.steps_size(), 0);
  EXPECT_THAT(
      Error(Get("/api/v1/jobs/" + job_id_ + "/evidence", operator_bearer), 400)
          .message(),
      HasSubstr("device_id: required"));
}

// collect_diagnostics' result bundle through the same route: operators
// only, and a task that kept none is a 404 saying so.
TEST_F(ApiRouterTest, DiagnosticsBundleNeedsAnOperator) {
  const std::string target =
      "/api/v1/jobs/" + job_id_ +
      "/evidence?step=upload_diagnostics_bundle&device=" + web1_.id;
  EXPECT_EQ(Error(ViewerGet(target), 403).code(), "PERMISSION_DENIED");
  const std::string operator_bearer =
      Bearer(CreateToken("ops", v1::ROLE_OPERATOR));
  EXPECT_THAT(Error(Get(target, operator_bearer), 404).message(),
              HasSubstr("kept no MDEClientAnalyzer result bundle"));
}

TEST_F(ApiRouterTest, TasksPageRoundTripAndStateFilter) {
  std::set<std::string> hosts;
  std::string token;
  int pages = 0;
  do {
    std::string target =
        absl::StrCat("/api/v1/jobs/", job_id_, "/tasks?page_size=1");
    if (!token.empty()) absl::StrAppend(&target, "&page_token=", token);
    http::HttpResponse response = ViewerGet(target);
    ASSERT_EQ(response.status, 200) << response.body;
    v1::ListTasksResponse page =
        ParseJson<v1::ListTasksResponse>(response.body);
    ASSERT_EQ(page.tasks_size(), 1);
    hosts.insert(page.tasks(0).hostname());
    token = page.next_page_token();
    ASSERT_LE(++pages, 3);
  } while (!token.empty());
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(hosts, (std::set<std::string>{"WEB-2019-01", "WEB-2019-02"}));

  v1::ListTasksResponse failed = ParseJson<v1::ListTasksResponse>(
      ViewerGet("/api/v1/jobs/" + job_id_ + "/tasks?state=failed").body);
  ASSERT_EQ(failed.tasks_size(), 1);
  EXPECT_EQ(failed.tasks(0).hostname(), "WEB-2019-01");

  EXPECT_EQ(
      Error(ViewerGet("/api/v1/jobs/" + job_id_ + "/tasks?page_size=5001"), 400)
          .message(),
      "page_size: at most 5000");
  EXPECT_THAT(
      Error(ViewerGet("/api/v1/jobs/" + job_id_ + "/tasks?page_size=-1"), 400)
          .message(),
      HasSubstr("page_size: expected a number from 1 to 5000"));
  EXPECT_EQ(
      Error(ViewerGet("/api/v1/jobs/" + job_id_ + "/tasks?page_token=bogus"),
            400)
          .message(),
      "page_token: malformed");
  EXPECT_THAT(
      Error(ViewerGet("/api/v1/jobs/" + job_id_ + "/tasks?state=done"), 400)
          .message(),
      HasSubstr("state: unknown value \"done\""));
  EXPECT_EQ(Error(ViewerGet("/api/v1/jobs/job-000000/tasks"), 404).message(),
            "job_id: no job \"job-000000\"");
}

TEST_F(ApiRouterTest, DevicesFilterAsTheCli) {
  EXPECT_EQ(Hostnames("").size(), 4u);
  EXPECT_THAT(Hostnames("?os_family=ws2019"),
              ::testing::ElementsAre("WEB-2019-01", "WEB-2019-02"));
  EXPECT_THAT(Hostnames("?os_family=OS_FAMILY_WS2016"),
              ::testing::ElementsAre("DB-2016-01"));
  EXPECT_THAT(Hostnames("?mde_state=onboarded"),
              ::testing::ElementsAre("APP-2022-01"));
  EXPECT_THAT(Hostnames("?label=site%3Dosaka"),
              ::testing::ElementsAre("APP-2022-01"));
  EXPECT_THAT(Hostnames("?label=site=osaka"),
              ::testing::ElementsAre("APP-2022-01"));
  EXPECT_THAT(Hostnames("?hostname=WEB-*"),
              ::testing::ElementsAre("WEB-2019-01", "WEB-2019-02"));
  EXPECT_EQ(Hostnames("?seen_within=1h").size(), 4u);
  EXPECT_EQ(Hostnames("?unseen_for=7d").size(), 0u);
  EXPECT_THAT(Hostnames("?needs=onboard&os_family=ws2022"),
              ::testing::IsEmpty());
  env_.clock().Advance(absl::Hours(2));
  EXPECT_EQ(Hostnames("?seen_within=1h").size(), 0u);
  EXPECT_EQ(Hostnames("?unseen_for=90m").size(), 4u);
}

TEST_F(ApiRouterTest, DevicesPageRoundTrip) {
  std::vector<std::string> hosts;
  std::string token;
  int pages = 0;
  do {
    std::string target = "/api/v1/devices?page_size=3";
    if (!token.empty()) absl::StrAppend(&target, "&page_token=", token);
    http::HttpResponse response = ViewerGet(target);
    ASSERT_EQ(response.status, 200) << response.body;
    v1::ListDevicesResponse page =
        ParseJson<v1::ListDevicesResponse>(response.body);
    EXPECT_EQ(page.total(), 4u);
    for (const v1::Device& d : page.devices()) {
      hosts.push_back(d.facts().hostname());
    }
    token = page.next_page_token();
    ASSERT_LE(++pages, 3);
  } while (!token.empty());
  EXPECT_EQ(pages, 2);
  EXPECT_THAT(hosts, ::testing::ElementsAre("APP-2022-01", "DB-2016-01",
                                            "WEB-2019-01", "WEB-2019-02"));
}

TEST_F(ApiRouterTest, MalformedDeviceFiltersNameTheParameter) {
  const std::pair<std::string, std::string> cases[] = {
      {"?os_family=ws1999", "os_family: unknown value \"ws1999\""},
      {"?mde_state=sleepy", "mde_state: unknown value \"sleepy\""},
      {"?label=nokey", "label: expected key=value"},
      {"?label=", "label: expected key=value"},
      {"?seen_within=5x", "seen_within \"5x\": unknown unit"},
      {"?unseen_for=-1h", "unseen_for \"-1h\": must not be negative"},
      {"?offline_for=", "offline_for \"\": empty duration"},
      {"?needs=teleport", "needs"},
      {"?page_size=0", "page_size: expected a number from 1 to 5000"},
      {"?page_size=99999999999", "page_size: expected a number"},
      {"?page_size=5001", "page_size: at most 5000"},
      {"?page_token=!!", "page_token: malformed"},
      {"?hostnme=WEB",
       "unknown parameter \"hostnme\" (this route takes "
       "os_family, mde_state, label, hostname"},
      {"?os_family=ws2019&os_family=ws2016", "os_family: given more than once"},
      {"?state=%zz", "state: malformed percent-escape"},
      {"?hostname=%ff", "hostname: not valid UTF-8"},
      {"?=x", "query: a parameter without a name"},
  };
  for (const auto& [query, message] : cases) {
    v1::HttpError error = Error(ViewerGet("/api/v1/devices" + query), 400);
    EXPECT_EQ(error.code(), "INVALID_ARGUMENT") << query;
    EXPECT_THAT(error.message(), HasSubstr(message)) << query;
  }
}

TEST_F(ApiRouterTest, DeviceById) {
  http::HttpResponse response = ViewerGet("/api/v1/devices/" + app22_.id);
  ASSERT_EQ(response.status, 200) << response.body;
  v1::Device device = ParseJson<v1::Device>(response.body);
  EXPECT_EQ(device.id(), app22_.id);
  EXPECT_EQ(device.facts().hostname(), "APP-2022-01");
  EXPECT_EQ(device.facts().labels().at("site"), "osaka");
  v1::HttpError unknown = Error(ViewerGet("/api/v1/devices/dev-nope"), 404);
  EXPECT_EQ(unknown.message(), "device_id: no device \"dev-nope\"");
  EXPECT_THAT(Error(ViewerGet("/api/v1/devices/a/b"), 404).message(),
              HasSubstr("device_id: no such id"));
}

TEST_F(ApiRouterTest, CredentialsOtherThanAViewerTokenAreRefused) {
  // No token, a malformed header, an unknown token: 401 with a challenge.
  for (const std::string& authorization : std::vector<std::string>{
           std::string(), std::string("Basic dXNlcjpwYXNz"),
           std::string("Bearer "), Bearer("mdf_api_unknown")}) {
    http::HttpResponse response = Get("/api/v1/summary", authorization);
    v1::HttpError error = Error(response, 401);
    EXPECT_EQ(error.code(), "UNAUTHENTICATED");
    EXPECT_EQ(Header(response, "WWW-Authenticate"), "Bearer");
  }
  // A revoked token.
  const std::string revoked = CreateToken("old-dashboard", v1::ROLE_VIEWER);
  EXPECT_EQ(Get("/api/v1/summary", Bearer(revoked)).status, 200);
  v1::RevokeTokenRequest revoke;
  revoke.set_token("old-dashboard");
  ASSERT_TRUE(
      env_.admin().access().RevokeToken(env_.admin_bearer(), revoke).ok());
  http::HttpResponse after = Get("/api/v1/summary", Bearer(revoked));
  Error(after, 401);
  EXPECT_THAT(after.body, Not(HasSubstr(revoked)));

  // A runner's credentials are genuine but of the wrong kind: 403.
  for (const std::string& runner : {web1_.bearer, env_.enroll_bearer()}) {
    http::HttpResponse response = Get("/api/v1/jobs", runner);
    v1::HttpError error = Error(response, 403);
    EXPECT_EQ(error.code(), "PERMISSION_DENIED");
    EXPECT_EQ(error.message(),
              "authorization: a runner credential cannot read the API; use a "
              "viewer token");
    EXPECT_THAT(response.body, Not(HasSubstr(runner.substr(7))));
    EXPECT_EQ(Header(response, "WWW-Authenticate"), "");
  }
  // A revoked device's token no longer is a credential: 401.
  v1::RevokeDeviceRequest revoke_device;
  revoke_device.set_device_id(db16_.id);
  revoke_device.set_reason("decommissioned");
  ASSERT_TRUE(env_.admin()
                  .access()
                  .RevokeDevice(env_.admin_bearer(), revoke_device)
                  .ok());
  Error(Get("/api/v1/jobs", db16_.bearer), 401);

  // Every role includes the viewer's.
  EXPECT_EQ(Get("/api/v1/jobs", env_.admin_bearer()).status, 200);
  EXPECT_EQ(
      Get("/api/v1/jobs", Bearer(CreateToken("ops", v1::ROLE_OPERATOR))).status,
      200);
}

TEST_F(ApiRouterTest, TheCredentialIsCheckedBeforeTheQuery) {
  // A caller without a token learns nothing about parameters or ids.
  Error(Get("/api/v1/devices?bogus=1", ""), 401);
  Error(Get("/api/v1/jobs/job-000000", ""), 401);
  Error(Get("/metrics", ""), 401);
}

TEST_F(ApiRouterTest, FailedAuthenticationsShareThePeerBudget) {
  const std::string attacker = "ipv4:10.1.2.3:5000";
  for (int i = 0; i < kAuthFailuresPerMinute; ++i) {
    Error(Get("/api/v1/summary", Bearer(absl::StrCat("mdf_api_guess", i)),
              absl::StrCat("ipv4:10.1.2.3:", 5000 + i)),
          401);
  }
  // Over budget: the address's failing requests get 429, on any port.
  v1::HttpError limited = Error(
      Get("/api/v1/summary", Bearer("mdf_api_guess_again"), attacker), 429);
  EXPECT_EQ(limited.code(), "RESOURCE_EXHAUSTED");
  EXPECT_THAT(limited.message(), HasSubstr("--max-auth-failures-per-minute"));
  EXPECT_EQ(Error(Get("/api/v1/summary", "", attacker), 429).code(),
            "RESOURCE_EXHAUSTED");
  // A good token from the same address is never refused for it.
  EXPECT_EQ(Get("/api/v1/summary", Bearer(viewer_), attacker).status, 200);
  // Other addresses are not affected, and a runner's credential (403) is
  // not a failed authentication.
  const std::string runner = "ipv4:10.9.9.9:7000";
  for (int i = 0; i < 2 * kAuthFailuresPerMinute; ++i) {
    Error(Get("/api/v1/summary", web2_.bearer, runner), 403);
  }
  Error(Get("/api/v1/summary", Bearer("mdf_api_typo"), runner), 401);
  // The budget refills with time.
  env_.clock().Advance(absl::Minutes(1));
  Error(Get("/api/v1/summary", Bearer("mdf_api_guess_later"), attacker), 401);
}

TEST_F(ApiRouterTest, UnknownRoutesAndMethods) {
  for (const std::string& target : std::vector<std::string>{
           "/api/v2/summary", "/api/v1", "/api/v1/summary/", "/api/v1/jobs/x/y",
           "/nope", "/index.htm", "//",
           "/api/v1/jobs/" + job_id_ + "/tasks/x"}) {
    http::HttpResponse response = ViewerGet(target);
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(ParseJson<v1::HttpError>(response.body).code(), "NOT_FOUND")
        << target;
  }
  for (const std::string& method :
       std::vector<std::string>{"POST", "PUT", "DELETE", "PATCH"}) {
    http::HttpResponse response =
        router_.Handle({.method = method,
                        .target = "/api/v1/jobs",
                        .authorization = Bearer(viewer_),
                        .peer = "ipv4:127.0.0.1:1"});
    v1::HttpError error = Error(response, 405);
    EXPECT_EQ(error.code(), "METHOD_NOT_ALLOWED");
    EXPECT_THAT(error.message(), HasSubstr(method));
    EXPECT_EQ(Header(response, "Allow"), "GET, HEAD");
  }
  EXPECT_EQ(router_
                .Handle({.method = "HEAD",
                         .target = "/api/v1/summary",
                         .authorization = Bearer(viewer_),
                         .peer = "ipv4:127.0.0.1:1"})
                .status,
            200);
}

TEST_F(ApiRouterTest, MetricsNeedAViewerTokenAndAreTextFormat) {
  http::HttpResponse response = ViewerGet("/metrics");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(response.body, metrics_text_);
  Error(Get("/metrics", web1_.bearer), 403);
  EXPECT_THAT(Error(ViewerGet("/metrics?name=x"), 400).message(),
              HasSubstr("unknown parameter \"name\""));

  http::ApiRouter without_metrics(env_.admin(), env_.authenticator(), guard_,
                                  {});
  http::HttpResponse disabled =
      without_metrics.Handle({.method = "GET",
                              .target = "/metrics",
                              .authorization = Bearer(viewer_),
                              .peer = "ipv4:127.0.0.1:1"});
  EXPECT_EQ(Error(disabled, 404).message(), "metrics are not enabled");
}

TEST_F(ApiRouterTest, DashboardFilesNeedNoToken) {
  const http::DashboardAsset* index = http::FindDashboardAsset("/index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(http::FindDashboardAsset("/"), index);
  for (const std::string& target :
       std::vector<std::string>{"/", "/index.html", "/?v=2"}) {
    http::HttpResponse page = Get(target, "");
    EXPECT_EQ(page.status, 200) << target;
    EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(page.body, index->bytes);
  }
  http::HttpResponse script = Get("/app.js", "");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Get("/style.css", "").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(http::FindDashboardAsset("/missing.js"), nullptr);
}

TEST_F(ApiRouterTest, EveryRequestIsCountedByRoutePattern) {
  requests_seen_.clear();
  ViewerGet("/api/v1/jobs/" + job_id_);
  ViewerGet("/api/v1/jobs/job-000000");
  ViewerGet("/api/v1/devices/" + app22_.id + "/x");
  Get("/", "");
  Get("/no/such/page", "");
  EXPECT_THAT(
      requests_seen_,
      ::testing::ElementsAre(Pair("/api/v1/jobs/{id}", 200),
                             Pair("/api/v1/jobs/{id}", 404),
                             Pair("/api/v1/devices/{id}", 404),
                             Pair("/index.html", 200), Pair("unmatched", 404)));
}

TEST_F(ApiRouterTest, ArbitraryTargetsGetJsonErrorsNeverACrash) {
  const std::string targets[] = {
      "",
      "?",
      "/api/v1/devices?%",
      "/api/v1/devices?a=%2",
      "/api/v1/devices?hostname=%00",
      "/api/v1/devices?label=%C0%80",
      "/api/v1/devices?os_family=%ED%A0%80",
      "/api/v1/devices?" + std::string(5000, 'a'),
      "/api/v1/devices?page_size=" + std::string(30, '9'),
      "/api/v1/summary?offline_for=1e999999h",
      "/api/v1/summary?offline_for=" + std::string(100, '9') + "h",
      std::string("/api/v1/jobs/\xff\xfe", 15),
      "/api/v1/jobs/..%2F..%2Fetc%2Fpasswd",
      "/api/v1/devices/%00",
      "*",
      "http://example.com/api/v1/summary",
  };
  for (const std::string& target : targets) {
    http::HttpResponse response = ViewerGet(target);
    EXPECT_GE(response.status, 400) << target;
    EXPECT_LT(response.status, 500) << target;
    v1::HttpError error = ParseJson<v1::HttpError>(response.body);
    EXPECT_FALSE(error.code().empty()) << target;
    EXPECT_FALSE(error.message().empty()) << target;
  }
  // Names and values are quoted back escaped and cut short.
  v1::HttpError long_name = ParseJson<v1::HttpError>(
      ViewerGet("/api/v1/devices?" + std::string(5000, 'a') + "=1").body);
  EXPECT_THAT(long_name.message(),
              HasSubstr(absl::StrCat("\"", std::string(http::kMaxQuoted, 'a'),
                                     "...\"")));
  EXPECT_LT(long_name.message().size(), 300u);
}

}  // namespace
}  // namespace mdefleet::testing

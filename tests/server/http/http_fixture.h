// A small fleet behind the HTTP API's router, shared by the router and
// HTTP server tests: a real Store in a temp file, the real handlers, a
// viewer token, four devices and an onboard job with one failed task.
#ifndef MDEFLEET_TESTS_SERVER_HTTP_HTTP_FIXTURE_H_
#define MDEFLEET_TESTS_SERVER_HTTP_HTTP_FIXTURE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/http_api.pb.h"
#include "server/http/api_router.h"
#include "server/service/peer_guard.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {

// `json` parsed strictly (unknown fields refused) into `message`.
template <typename Message>
Message ParseJson(const std::string& json) {
  Message message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(json, &message, options);
  EXPECT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << json;
  return message;
}

class HttpApiFixture : public ::testing::Test {
 protected:
  static constexpr int64_t kAuthFailuresPerMinute = 5;

  void SetUp() override {
    web1_ = env_.Enroll(MakeFacts("WEB-2019-01", "2019"));
    web2_ = env_.Enroll(MakeFacts("WEB-2019-02", "2019"));
    db16_ = env_.Enroll(MakeFacts("DB-2016-01", "2016"));
    v1::DeviceFacts onboarded = MakeFacts("APP-2022-01", "2022");
    onboarded.set_sense_state(v1::SERVICE_STATE_RUNNING);
    onboarded.set_onboarding_state(1);
    (*onboarded.mutable_labels())["site"] = "osaka";
    app22_ = env_.Enroll(onboarded);
    viewer_ = CreateToken("dashboard", v1::ROLE_VIEWER);

    const v1::Artifact script = env_.Upload(
        v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
        "WindowsDefenderATPOnboardingScript.cmd", OnboardingScript());
    v1::SubmitJobRequest submit;
    submit.mutable_spec()->set_kind("onboard");
    submit.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        script.id());
    submit.mutable_spec()->mutable_target()->add_os_families(
        v1::OS_FAMILY_WS2019);
    auto submitted = env_.admin().jobs().SubmitJob(env_.admin_bearer(), submit);
    ASSERT_TRUE(submitted.ok()) << submitted.status();
    job_id_ = submitted->job().id();
    // WEB-2019-01 fails its first step.
    v1::PollTasksResponse polled = env_.Poll(web1_);
    ASSERT_EQ(polled.tasks_size(), 1);
    const v1::LeasedTask& task = polled.tasks(0);
    failed_step_ = task.plan().steps(0).name();
    ASSERT_TRUE(
        env_.runner()
            .ReportStep(web1_.bearer, Report(task, 0, v1::STEP_STATE_RUNNING))
            .ok());
    v1::ReportStepRequest failed = Report(task, 0, v1::STEP_STATE_FAILED);
    failed.set_task_state(v1::TASK_STATE_FAILED);
    failed.set_message("no connectivity");
    ASSERT_TRUE(env_.runner().ReportStep(web1_.bearer, failed).ok());
  }

  std::string CreateToken(const std::string& name, v1::Role role) {
    v1::CreateTokenRequest request;
    request.set_name(name);
    request.set_role(role);
    auto created =
        env_.admin().access().CreateToken(env_.admin_bearer(), request);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->value() : "";
  }

  static std::string Bearer(const std::string& token) {
    return absl::StrCat("Bearer ", token);
  }

  // GET `target` with `authorization` from `peer`; by default from an
  // address of its own, so that refusals a test provokes on purpose do not
  // use up one address's failed-authentication budget.
  http::HttpResponse Get(const std::string& target,
                         const std::string& authorization,
                         std::string peer = "") {
    if (peer.empty()) {
      ++requests_;
      peer = absl::StrCat("ipv4:10.0.", requests_ / 250, ".",
                          requests_ % 250 + 1, ":40000");
    }
    return router_.Handle({.method = "GET",
                           .target = target,
                           .authorization = authorization,
                           .peer = peer});
  }
  http::HttpResponse ViewerGet(const std::string& target) {
    return Get(target, Bearer(viewer_));
  }

  TestEnv env_;
  service::PeerGuard guard_{
      env_.clock(),
      {.enrollments_per_minute = 0,
       .auth_failures_per_minute = kAuthFailuresPerMinute}};
  std::string metrics_text_ = "# TYPE mdefleet_up gauge\nmdefleet_up 1\n";
  std::vector<std::pair<std::string, int>> requests_seen_;
  http::ApiRouter router_{
      env_.admin(), env_.authenticator(), guard_,
      http::RouterOptions{.render_metrics = [this] { return metrics_text_; },
                          .on_request =
                              [this](absl::string_view route, int status) {
                                requests_seen_.emplace_back(std::string(route),
                                                            status);
                              }}};
  EnrolledDevice web1_, web2_, db16_, app22_;
  std::string viewer_;
  std::string job_id_;
  std::string failed_step_;
  int requests_ = 0;
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_SERVER_HTTP_HTTP_FIXTURE_H_

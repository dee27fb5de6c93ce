// AdminService handlers without gRPC: inventory queries, submit (dry run and
// every bad input: names the field, stores nothing), artifacts, watch.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"
#include "tests/testing/eventually.h"

namespace mdefleet::testing {
namespace {

using ::google::protobuf::util::TimeUtil;

class AdminHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web19_ = env_.Enroll(MakeFacts("WEB-2019-01", "2019"));
    db16_ = env_.Enroll(MakeFacts("DB-2016-01", "2016"));
    v1::DeviceFacts onboarded = MakeFacts("APP-2022-01", "2022");
    onboarded.set_sense_state(v1::SERVICE_STATE_RUNNING);
    onboarded.set_onboarding_state(1);
    (*onboarded.mutable_labels())["site"] = "osaka";
    app22_ = env_.Enroll(onboarded);
    onboarding_ = env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                              "WindowsDefenderATPOnboardingScript.cmd",
                              OnboardingScript());
  }
  v1::SubmitJobRequest Onboard() {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("onboard");
    r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        onboarding_.id());
    r.mutable_spec()->mutable_target()->add_os_families(v1::OS_FAMILY_WS2019);
    return r;
  }
  std::vector<std::string> Hostnames(const v1::ListDevicesRequest& r) {
    auto list = env_.admin().inventory().ListDevices(env_.admin_bearer(), r);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> out;
    for (const auto& d : list->devices()) out.push_back(d.facts().hostname());
    return out;
  }
  // The submit fails with `code`, its message starts with `field`, and
  // nothing is stored.
  void ExpectRefused(const v1::SubmitJobRequest& r, absl::StatusCode code,
                     absl::string_view prefix) {
    const std::string before = env_.Snapshot();
    auto result = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
    EXPECT_EQ(result.status().code(), code) << result.status();
    EXPECT_TRUE(absl::StartsWith(result.status().message(), prefix))
        << result.status();
    EXPECT_EQ(env_.Snapshot(), before);
  }

  TestEnv env_;
  EnrolledDevice web19_, db16_, app22_;
  v1::Artifact onboarding_;
};

TEST_F(AdminHandlersTest, ListDevicesFiltersAndPages) {
  v1::ListDevicesRequest all;
  EXPECT_EQ(Hostnames(all), (std::vector<std::string>{
                                "APP-2022-01", "DB-2016-01", "WEB-2019-01"}));
  v1::ListDevicesRequest by_os;
  by_os.set_os_family(v1::OS_FAMILY_WS2016);
  EXPECT_EQ(Hostnames(by_os), std::vector<std::string>{"DB-2016-01"});
  v1::ListDevicesRequest by_label;
  by_label.set_label("site=osaka");
  EXPECT_EQ(Hostnames(by_label), std::vector<std::string>{"APP-2022-01"});
  v1::ListDevicesRequest by_state;
  by_state.set_mde_state(v1::MDE_STATE_ONBOARDED);
  EXPECT_EQ(Hostnames(by_state), std::vector<std::string>{"APP-2022-01"});
  v1::ListDevicesRequest by_glob;
  by_glob.set_hostname_glob("web-*");
  EXPECT_EQ(Hostnames(by_glob), std::vector<std::string>{"WEB-2019-01"});

  // Last seen: only WEB polls after two minutes.
  env_.clock().Advance(absl::Minutes(2));
  env_.Poll(web19_);
  v1::ListDevicesRequest recent;
  *recent.mutable_seen_within() = TimeUtil::SecondsToDuration(60);
  EXPECT_EQ(Hostnames(recent), std::vector<std::string>{"WEB-2019-01"});
  v1::ListDevicesRequest stale;
  *stale.mutable_unseen_for() = TimeUtil::SecondsToDuration(60);
  EXPECT_EQ(Hostnames(stale),
            (std::vector<std::string>{"APP-2022-01", "DB-2016-01"}));
  auto online = env_.admin().inventory().ListDevices(env_.admin_bearer(), all);
  for (const auto& d : online->devices()) {
    EXPECT_EQ(d.online(), d.facts().hostname() == "WEB-2019-01");
  }

  v1::ListDevicesRequest page;
  page.set_page_size(1);
  std::vector<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto r = env_.admin().inventory().ListDevices(env_.admin_bearer(), page);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->total(), 3u);
    for (const auto& d : r->devices()) seen.push_back(d.facts().hostname());
    if (r->next_page_token().empty()) break;
    page.set_page_token(r->next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"APP-2022-01", "DB-2016-01",
                                            "WEB-2019-01"}));

  v1::ListDevicesRequest bad;
  bad.set_label("site");
  EXPECT_TRUE(absl::StartsWith(env_.admin()
                                   .inventory()
                                   .ListDevices(env_.admin_bearer(), bad)
                                   .status()
                                   .message(),
                               "label:"));
}

TEST_F(AdminHandlersTest, GetDeviceNamesAnUnknownId) {
  v1::GetDeviceRequest r;
  r.set_device_id(web19_.id);
  auto d = env_.admin().inventory().GetDevice(env_.admin_bearer(), r);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->facts().hostname(), "WEB-2019-01");
  EXPECT_EQ(d->facts().os_family(), v1::OS_FAMILY_WS2019);
  r.set_device_id("x");
  auto missing = env_.admin().inventory().GetDevice(env_.admin_bearer(), r);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "device_id: no device \"x\"");
}

TEST_F(AdminHandlersTest, DryRunReturnsPlansAndStoresNothing) {
  v1::SubmitJobRequest r = Onboard();
  r.mutable_spec()->mutable_target()->clear_os_families();
  r.mutable_spec()->mutable_target()->set_all(true);
  env_.Upload(v1::ARTIFACT_KIND_INSTALL_SCRIPT, "Install.ps1", InstallScript());
  env_.Upload(v1::ARTIFACT_KIND_INSTALLER_MSI, "md4ws.msi", InstallerMsi());
  r.set_dry_run(true);
  const std::string before = env_.Snapshot();
  auto result = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->has_job());
  EXPECT_EQ(result->targeted(), 3u);
  ASSERT_EQ(result->plans_size(), 3);
  for (const v1::DevicePlan& p : result->plans()) {
    EXPECT_FALSE(p.hostname().empty());
    EXPECT_GT(p.plan().steps_size(), 0) << p.hostname();
  }
  EXPECT_EQ(env_.Snapshot(), before);
}

TEST_F(AdminHandlersTest, SubmitStoresTheJobWithDefaultInstallerArtifacts) {
  v1::Artifact ps1 = env_.Upload(v1::ARTIFACT_KIND_INSTALL_SCRIPT,
                                 "Install.ps1", InstallScript());
  v1::Artifact msi =
      env_.Upload(v1::ARTIFACT_KIND_INSTALLER_MSI, "md4ws.msi", InstallerMsi());
  v1::SubmitJobRequest r = Onboard();
  r.mutable_spec()->mutable_target()->clear_os_families();
  r.mutable_spec()->mutable_target()->set_hostname_glob("db-*");
  auto result = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->targeted(), 1u);
  EXPECT_EQ(result->job().counts().total(), 1u);
  EXPECT_EQ(result->job().counts().queued(), 1u);
  EXPECT_EQ(result->job().spec().parameters().install_script_id(), ps1.id());
  EXPECT_EQ(result->job().spec().parameters().installer_msi_id(), msi.id());
  EXPECT_EQ(env_.Count("jobs"), 1);
  EXPECT_EQ(env_.Count("tasks"), 1);
  v1::ListJobsRequest list;
  auto jobs = env_.admin().jobs().ListJobs(env_.admin_bearer(), list);
  ASSERT_EQ(jobs->jobs_size(), 1);
  EXPECT_EQ(jobs->jobs(0).id(), result->job().id());
}

TEST_F(AdminHandlersTest, BadInputNamesTheFieldAndStoresNothing) {
  v1::SubmitJobRequest unknown_kind = Onboard();
  unknown_kind.mutable_spec()->set_kind("reimage_everything");
  ExpectRefused(unknown_kind, absl::StatusCode::kInvalidArgument, "kind:");

  v1::SubmitJobRequest bad_guid = Onboard();
  bad_guid.mutable_spec()->set_kind("migrate_mma");
  bad_guid.mutable_spec()->mutable_parameters()->set_workspace_id("not-a-guid");
  ExpectRefused(bad_guid, absl::StatusCode::kInvalidArgument,
                "parameters.workspace_id");

  v1::SubmitJobRequest nobody = Onboard();
  nobody.mutable_spec()->mutable_target()->set_hostname_glob("nothing-*");
  ExpectRefused(nobody, absl::StatusCode::kInvalidArgument,
                "target: matches no device");

  v1::SubmitJobRequest unknown_device = Onboard();
  unknown_device.mutable_spec()->mutable_target()->add_device_ids("dev-none");
  ExpectRefused(unknown_device, absl::StatusCode::kInvalidArgument,
                "target.device_ids: no device \"dev-none\"");

  v1::SubmitJobRequest missing = Onboard();
  missing.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
      std::string(64, 'a'));
  ExpectRefused(missing, absl::StatusCode::kInvalidArgument,
                absl::StrCat("parameters.onboarding_script_id: no artifact ",
                             std::string(64, 'a')));

  v1::Artifact ps1 = env_.Upload(v1::ARTIFACT_KIND_INSTALL_SCRIPT,
                                 "Install.ps1", InstallScript());
  v1::SubmitJobRequest wrong_kind = Onboard();
  wrong_kind.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
      ps1.id());
  const std::string before = env_.Snapshot();
  auto wk = env_.admin().jobs().SubmitJob(env_.admin_bearer(), wrong_kind);
  EXPECT_EQ(wk.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wk.status().message().find("not an onboarding script"),
            std::string::npos)
      << wk.status();
  EXPECT_TRUE(absl::StartsWith(wk.status().message(),
                               "parameters.onboarding_script_id"));
  EXPECT_EQ(env_.Snapshot(), before);

  // A downlevel device with no Install.ps1/md4ws.msi uploaded cannot plan.
  v1::SubmitJobRequest no_msi = Onboard();
  no_msi.mutable_spec()->mutable_target()->clear_os_families();
  no_msi.mutable_spec()->mutable_target()->add_device_ids(db16_.id);
  ExpectRefused(no_msi, absl::StatusCode::kInvalidArgument, "parameters.");
}

TEST_F(AdminHandlersTest, ExpiredOffboardingScriptIsRefusedAtSubmit) {
  v1::Artifact off = env_.Upload(
      v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
      "WindowsDefenderATPOffboardingScript_valid_until_2024-03-20.cmd",
      OffboardingScript());
  EXPECT_EQ(off.valid_until(), "2024-03-20");
  v1::SubmitJobRequest r;
  r.mutable_spec()->set_kind("offboard");
  r.mutable_spec()->mutable_parameters()->set_offboarding_script_id(off.id());
  r.mutable_spec()->mutable_target()->add_device_ids(app22_.id);
  r.set_dry_run(true);
  EXPECT_TRUE(env_.admin().jobs().SubmitJob(env_.admin_bearer(), r).ok());
  r.set_dry_run(false);
  env_.clock().Advance(absl::Hours(24 * 30));
  ExpectRefused(r, absl::StatusCode::kFailedPrecondition,
                "parameters.offboarding_script_id: offboarding script expired "
                "on 2024-03-20");
}

TEST_F(AdminHandlersTest, UploadValidatesAndIsContentAddressed) {
  const std::string before = env_.Snapshot();
  auto wrong = env_.TryUpload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                              "WindowsDefenderATPOnboardingScript.cmd",
                              "@echo off\r\necho hello\r\n");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(wrong.status().message(), "content"))
      << wrong.status();
  EXPECT_EQ(env_.Snapshot(), before);

  v1::Artifact again = env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                                   "copy.cmd", OnboardingScript());
  EXPECT_EQ(again.id(), onboarding_.id());
  EXPECT_EQ(again.name(), onboarding_.name());
  EXPECT_TRUE(again.secret());
  EXPECT_EQ(env_.Count("artifacts"), 1);

  size_t calls = 0;
  auto no_header = env_.admin().artifacts().UploadArtifact(
      env_.admin_bearer(), [&](v1::UploadArtifactRequest* m) {
        m->set_chunk("x");
        return calls++ == 0;
      });
  EXPECT_TRUE(absl::StartsWith(no_header.status().message(), "header"));

  v1::ListArtifactsRequest list;
  list.set_kind(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT);
  auto listed =
      env_.admin().artifacts().ListArtifacts(env_.admin_bearer(), list);
  ASSERT_EQ(listed->artifacts_size(), 1);
  EXPECT_EQ(listed->artifacts(0).size(), OnboardingScript().size());
}

TEST_F(AdminHandlersTest, WatchJobStreamsUntilTheJobEnds) {
  auto submitted =
      env_.admin().jobs().SubmitJob(env_.admin_bearer(), Onboard());
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  const std::string job_id = submitted->job().id();
  std::vector<v1::Job> seen;
  std::mutex mu;
  absl::Status watch_status;
  std::thread watcher([&] {
    v1::WatchJobRequest r;
    r.set_job_id(job_id);
    watch_status = env_.admin().jobs().WatchJob(
        env_.admin_bearer(), r,
        [&](const v1::Job& j) {
          std::lock_guard<std::mutex> lock(mu);
          seen.push_back(j);
          return true;
        },
        [] { return false; });
  });
  // The watch is open and sent its first state before the job moves.
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !seen.empty() && env_.admin().jobs().open_watch_streams() == 1;
  })) << "the watch never opened";
  v1::LeasedTask task = env_.Poll(web19_).tasks(0);
  RunTaskToEnd(env_, web19_, task);
  watcher.join();
  EXPECT_TRUE(watch_status.ok()) << watch_status;
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front().state(), v1::JOB_STATE_PENDING);
  EXPECT_EQ(seen.back().state(), v1::JOB_STATE_SUCCEEDED);
}

// Each open WatchJob holds a server thread: one token gets at most 8 at
// once (the default), another token is not affected, and a closed stream
// gives its place back.
TEST_F(AdminHandlersTest, WatchJobStreamsPerTokenAreCapped) {
  auto submitted =
      env_.admin().jobs().SubmitJob(env_.admin_bearer(), Onboard());
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  v1::WatchJobRequest watch;
  watch.set_job_id(submitted->job().id());
  std::atomic<bool> close{false};
  auto watch_once = [&](const std::string& bearer) {
    return env_.admin().jobs().WatchJob(
        bearer, watch, [](const v1::Job&) { return true; },
        [&] { return close.load(); });
  };
  const int kPerToken = service::StreamLimits{}.per_credential;
  std::vector<std::thread> watchers;
  std::vector<absl::Status> ended(kPerToken + 1);
  for (int i = 0; i < kPerToken; ++i) {
    watchers.emplace_back(
        [&, i] { ended[i] = watch_once(env_.admin_bearer()); });
  }
  ASSERT_TRUE(Eventually(
      [&] { return env_.admin().jobs().open_watch_streams() >= kPerToken; }));
  ASSERT_EQ(env_.admin().jobs().open_watch_streams(), kPerToken);
  absl::Status refused = watch_once(env_.admin_bearer());
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(
      std::string(refused.message()),
      ::testing::AllOf(::testing::HasSubstr("already has 8 open"),
                       ::testing::HasSubstr("--max-watch-streams-per-token")));
  // Another token has its own places.
  v1::CreateTokenRequest create;
  create.set_name("dashboard");
  create.set_role(v1::ROLE_VIEWER);
  auto viewer = env_.admin().access().CreateToken(env_.admin_bearer(), create);
  ASSERT_TRUE(viewer.ok()) << viewer.status();
  watchers.emplace_back([&] {
    ended[kPerToken] = watch_once(absl::StrCat("Bearer ", viewer->value()));
  });
  EXPECT_TRUE(Eventually(
      [&] { return env_.admin().jobs().open_watch_streams() >= kPerToken + 1; }));
  EXPECT_EQ(env_.admin().jobs().open_watch_streams(), kPerToken + 1);
  // The clients go away: every place is given back.
  close = true;
  for (std::thread& t : watchers) t.join();
  for (const absl::Status& status : ended) {
    EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  }
  EXPECT_EQ(env_.admin().jobs().open_watch_streams(), 0);
  close = false;
  std::thread again([&] { ended[0] = watch_once(env_.admin_bearer()); });
  EXPECT_TRUE(
      Eventually([&] { return env_.admin().jobs().open_watch_streams() >= 1; }));
  EXPECT_EQ(env_.admin().jobs().open_watch_streams(), 1);
  close = true;
  again.join();
  EXPECT_EQ(ended[0].code(), absl::StatusCode::kCancelled);
}

TEST(StreamSlotsTest, PerKeyAndTotalLimits) {
  service::StreamSlots slots({.per_credential = 2, .total = 3}, "WatchJob",
                             "--per", "--total");
  std::vector<service::StreamSlots::Slot> held;
  for (int i = 0; i < 2; ++i) {
    auto slot = slots.Acquire("a", "token \"a\"");
    ASSERT_TRUE(slot.ok());
    held.push_back(*std::move(slot));
  }
  auto third = slots.Acquire("a", "token \"a\"");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(third.status().message()),
              ::testing::HasSubstr("token \"a\" already has 2 open WatchJob "
                                   "streams"));
  auto b = slots.Acquire("b", "token \"b\"");
  ASSERT_TRUE(b.ok());
  auto c = slots.Acquire("c", "token \"c\"");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(c.status().message()),
              ::testing::HasSubstr("serves 3 WatchJob streams"));
  EXPECT_THAT(std::string(c.status().message()),
              ::testing::HasSubstr("--total"));
  EXPECT_EQ(slots.open(), 3);
  held.clear();
  EXPECT_EQ(slots.open(), 1);
  EXPECT_TRUE(slots.Acquire("c", "token \"c\"").ok());
  EXPECT_EQ(slots.open(), 1) << "a temporary slot is given back at once";
  service::StreamSlots unlimited({.per_credential = 0, .total = 0}, "W", "",
                                 "");
  std::vector<service::StreamSlots::Slot> many;  // destroyed first
  for (int i = 0; i < 100; ++i) {
    many.push_back(*unlimited.Acquire("a", "a"));
  }
  EXPECT_EQ(unlimited.open(), 100);
}

TEST_F(AdminHandlersTest, EveryMethodRefusesAMissingOrWrongToken) {
  const std::string before = env_.Snapshot();
  for (const std::string& bad :
       {std::string(), std::string("Bearer mdf_admin_wrong"),
        env_.enroll_bearer(), web19_.bearer}) {
    auto& a = env_.admin();
    EXPECT_EQ(a.inventory().ListDevices(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.inventory().GetDevice(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().SubmitJob(bad, Onboard()).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().GetJob(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().ListJobs(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().ListTasks(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().CancelJob(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.artifacts().ListArtifacts(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs()
                  .WatchJob(
                      bad, {}, [](const v1::Job&) { return true; },
                      [] { return false; })
                  .code(),
              absl::StatusCode::kUnauthenticated);
    bool read_called = false;
    EXPECT_EQ(a.artifacts()
                  .UploadArtifact(bad,
                                  [&](v1::UploadArtifactRequest*) {
                                    read_called = true;
                                    return false;
                                  })
                  .status()
                  .code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_FALSE(read_called);
  }
  EXPECT_EQ(env_.Snapshot(), before);
}

}  // namespace
}  // namespace mdefleet::testing

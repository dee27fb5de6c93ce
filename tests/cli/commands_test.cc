// The commands end to end inside the process: RunCli against a fake
// AdminService on a port-0 listener.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/plan/plan.h"
#include "google/protobuf/util/json_util.h"
#include "server/cli/app.h"
#include "tests/cli/cli_run.h"
#include "tests/cli/fake_admin_service.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::cli {
namespace {

using ::testing::ElementsAre;
using testing::FakeAdminService;
using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

using testing::Result;

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("MDEFLEET_SERVER");
    unsetenv("MDEFLEET_TOKEN");
  }

  // Runs mdefleetctl against the fake with the right token.
  Result Run(std::vector<std::string> args, Terminal terminal = {}) {
    return testing::RunCliAgainst(server_, std::move(args), terminal);
  }
  Result RunRaw(const std::vector<std::string>& args, Terminal terminal = {}) {
    return testing::RunCliRaw(args, terminal);
  }
  size_t Calls() {
    std::lock_guard<std::mutex> lock(fake().mu);
    return fake().methods.size();
  }
  FakeAdminService& fake() { return server_.service(); }
  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_.Join(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  FakeServer server_;
  ::mdefleet::testing::TempDir dir_;
};

v1::Device MakeDevice(int i) {
  v1::Device d;
  d.set_id(absl::StrCat("dev-", i));
  d.mutable_facts()->set_hostname(absl::StrCat("SIM-2019-", i));
  d.mutable_facts()->set_os_family(v1::OS_FAMILY_WS2019);
  d.mutable_facts()->set_mde_state(v1::MDE_STATE_NOT_ONBOARDED);
  (*d.mutable_facts()->mutable_labels())["site"] = "tokyo";
  d.mutable_last_seen_at()->set_seconds(1714564800 - 30);
  d.set_online(true);
  return d;
}

TEST_F(CommandsTest, DevicesListFollowsPagesAndSendsTheBearerToken) {
  for (int i = 0; i < 1200; ++i) fake().devices.push_back(MakeDevice(i));
  Result r = Run({"devices", "list", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  v1::ListDevicesResponse response;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(r.out, &response).ok())
      << r.out;
  EXPECT_EQ(response.devices_size(), 1200);
  EXPECT_EQ(response.devices(1199).id(), "dev-1199");
  EXPECT_EQ(response.total(), 1200u);
  std::lock_guard<std::mutex> lock(fake().mu);
  EXPECT_EQ(fake().list_devices_requests.size(), 3u);
  for (const std::string& a : fake().authorizations) {
    EXPECT_EQ(a, absl::StrCat("Bearer ", FakeAdminService::kToken));
  }
}

TEST_F(CommandsTest, DevicesListLimitStopsEarly) {
  for (int i = 0; i < 1200; ++i) fake().devices.push_back(MakeDevice(i));
  Result r = Run({"devices", "list", "--limit", "700"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("700 of 1200 devices"));
  std::lock_guard<std::mutex> lock(fake().mu);
  ASSERT_EQ(fake().list_devices_requests.size(), 2u);
  EXPECT_EQ(fake().list_devices_requests[0].page_size(), 500u);
  EXPECT_EQ(fake().list_devices_requests[1].page_size(), 200u);
}

TEST_F(CommandsTest, DevicesListTableAndFilters) {
  fake().devices.push_back(MakeDevice(7));
  Result r = Run({"devices", "list", "--os", "2019", "--label", "site=tokyo",
                  "--mde-state", "not_onboarded", "--seen-within", "10m",
                  "--unseen-for", "1s", "--hostname", "SIM-*"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("HOSTNAME"));
  EXPECT_THAT(r.out, HasSubstr("SIM-2019-7"));
  EXPECT_THAT(r.out, HasSubstr("not_onboarded"));
  EXPECT_THAT(r.out, HasSubstr("30s ago"));
  EXPECT_THAT(r.out, HasSubstr("site=tokyo"));
  EXPECT_THAT(r.out, HasSubstr("1 device\n"));
  std::lock_guard<std::mutex> lock(fake().mu);
  ASSERT_EQ(fake().list_devices_requests.size(), 1u);
  const v1::ListDevicesRequest& q = fake().list_devices_requests[0];
  EXPECT_EQ(q.os_family(), v1::OS_FAMILY_WS2019);
  EXPECT_EQ(q.label(), "site=tokyo");
  EXPECT_EQ(q.mde_state(), v1::MDE_STATE_NOT_ONBOARDED);
  EXPECT_EQ(q.seen_within().seconds(), 600);
  EXPECT_EQ(q.unseen_for().seconds(), 1);
  EXPECT_EQ(q.hostname_glob(), "SIM-*");
}

TEST_F(CommandsTest, GlobalFlagsWorkAfterTheSubcommand) {
  fake().devices.push_back(MakeDevice(1));
  Result r = RunRaw({"devices", "list", "--server", server_.address(),
                     "--token", FakeAdminService::kToken, "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"hostname\": \"SIM-2019-1\""));
}

TEST_F(CommandsTest, TokenFromFileAndEnvironment) {
  const std::string token_file =
      WriteFile("token", absl::StrCat("  ", FakeAdminService::kToken, "\n"));
  Result r = RunRaw({"--server", server_.address(), "--token-file", token_file,
                     "artifacts", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  setenv("MDEFLEET_TOKEN", FakeAdminService::kToken, 1);
  setenv("MDEFLEET_SERVER", server_.address().c_str(), 1);
  Result env = RunRaw({"artifacts", "list"});
  unsetenv("MDEFLEET_TOKEN");
  unsetenv("MDEFLEET_SERVER");
  ASSERT_EQ(env.exit_code, 0) << env.err;
  EXPECT_THAT(env.out, HasSubstr("2030-01-01"));
  EXPECT_THAT(env.out, HasSubstr("offboarding_script"));
}

TEST_F(CommandsTest, UsageErrorsExitTwoWithoutCallingTheServer) {
  const std::vector<std::vector<std::string>> bad = {
      {"devices", "list", "--os", "vista"},
      {"devices", "list", "--label", "site"},
      {"devices", "list", "--seen-within", "10"},
      {"devices", "list", "--mde-state", "happy"},
      {"jobs", "submit", "onboard", "--target", "everything"},
      {"jobs", "submit", "onboard"},
      {"jobs", "submit", "onboard", "--target", "all", "--onboarding-script",
       "not-an-id"},
      {"jobs", "list", "--state", "done"},
      {"jobs", "tasks", "j1", "--state", "done"},
      {"artifacts", "upload", "/nonexistent/file", "--kind",
       "onboarding_script"},
      {"artifacts", "list", "--kind", "exe"},
      {"-o", "yaml", "jobs", "list"},
      {"frobnicate"},
      {},
      {"--timeout", "soon", "jobs", "list"},
  };
  for (const auto& args : bad) {
    Result r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_THAT(r.err, HasSubstr("error: ")) << ::testing::PrintToString(args);
  }
  EXPECT_EQ(Calls(), 0u);
}

TEST_F(CommandsTest, BadTargetErrorNamesTheFlag) {
  Result r = Run({"jobs", "submit", "onboard", "--target", "hostname:web"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("error: --target \"hostname:web\""));
}

TEST_F(CommandsTest, MissingTokenIsAUsageError) {
  Result r = RunRaw({"--server", server_.address(), "jobs", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no admin token"));
  EXPECT_EQ(Calls(), 0u);
}

TEST_F(CommandsTest, WrongTokenSaysAuthenticationFailed) {
  Result r = RunRaw({"--server", server_.address(), "--token",
                     "mdf_admin_wrong", "jobs", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: authentication failed"));
  EXPECT_THAT(r.err, Not(HasSubstr("mdf_admin_wrong")));
}

TEST_F(CommandsTest, UnreachableServerIsNamed) {
  std::string address;
  {
    FakeServer gone;
    address = gone.address();
  }
  Result r = RunRaw({"--server", address, "--token", FakeAdminService::kToken,
                     "jobs", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("cannot reach mdefleet-server at ",
                                            address)));
}

TEST_F(CommandsTest, UploadStreamsHeaderThenChunksOf64KiB) {
  std::string content;
  for (int i = 0; i < 200 * 1024; ++i)
    content.push_back(static_cast<char>(i * 7));
  const std::string path = WriteFile("md4ws.msi", content);
  Result r = Run(
      {"artifacts", "upload", path, "--kind", "installer_msi", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  v1::Artifact artifact;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(r.out, &artifact).ok());
  EXPECT_EQ(artifact.id(), std::string(64, 'e'));
  EXPECT_EQ(artifact.size(), content.size());

  std::lock_guard<std::mutex> lock(fake().mu);
  const auto& messages = fake().upload_messages;
  ASSERT_EQ(messages.size(), 5u);
  ASSERT_TRUE(messages[0].has_header());
  EXPECT_EQ(messages[0].header().kind(), v1::ARTIFACT_KIND_INSTALLER_MSI);
  EXPECT_EQ(messages[0].header().name(), "md4ws.msi");
  std::vector<size_t> sizes;
  std::string joined;
  for (size_t i = 1; i < messages.size(); ++i) {
    ASSERT_TRUE(messages[i].has_chunk());
    sizes.push_back(messages[i].chunk().size());
    joined += messages[i].chunk();
  }
  EXPECT_THAT(sizes, ElementsAre(65536u, 65536u, 65536u, 8192u));
  EXPECT_EQ(joined, content);
}

TEST_F(CommandsTest, UploadNameOverrideAndTableOutput) {
  const std::string path = WriteFile("off.cmd", "reg add ...");
  Result r = Run(
      {"artifacts", "upload", path, "--kind", "offboarding_script", "--name",
       "WindowsDefenderATPOffboardingScript_valid_until_2030-01-01.cmd"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("as offboarding_script"));
  EXPECT_THAT(r.out, HasSubstr(std::string(64, 'e')));
  std::lock_guard<std::mutex> lock(fake().mu);
  EXPECT_EQ(fake().upload_messages[0].header().name(),
            "WindowsDefenderATPOffboardingScript_valid_until_2030-01-01.cmd");
}

TEST_F(CommandsTest, UploadRefusedByServerShowsItsMessage) {
  fake().upload_status = grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      "content: not an onboarding script (no OnboardingInfo marker)");
  const std::string path = WriteFile("x.cmd", "@echo off\r\n");
  Result r = Run({"artifacts", "upload", path, "--kind", "onboarding_script"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: invalid request: content: not an "
                               "onboarding script"));
}

TEST_F(CommandsTest, OversizedMessageIsExplained) {
  fake().submit_status =
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                   "Received message larger than max (5242990 vs. 4194304)");
  Result r = Run({"jobs", "submit", "onboard", "--target", "all"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: message too large"));
}

TEST_F(CommandsTest, SubmitUploadsFileFlagsFirstAndSendsTheSpec) {
  fake().submit_response.mutable_job()->set_id("job-42");
  fake().submit_response.set_targeted(3);
  const std::string script =
      WriteFile("WindowsDefenderATPOnboardingScript.cmd", "OnboardingInfo");
  const std::string msi_id = "AB" + std::string(62, '1');
  Result r =
      Run({"jobs", "submit", "migrate_mma", "--target", "os:2016", "--target",
           "label:site=osaka", "--target", "host:SIM-*", "--onboarding-script",
           script, "--installer", msi_id, "--workspace-id",
           "11111111-2222-3333-4444-555555555555", "--max-in-flight", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("submitted job job-42: migrate_mma on 3 devices"));
  EXPECT_THAT(r.err, HasSubstr("uploaded " + script));
  std::lock_guard<std::mutex> lock(fake().mu);
  EXPECT_THAT(fake().methods, ElementsAre("UploadArtifact", "SubmitJob"));
  EXPECT_EQ(fake().upload_messages[0].header().kind(),
            v1::ARTIFACT_KIND_ONBOARDING_SCRIPT);
  ASSERT_EQ(fake().submit_requests.size(), 1u);
  const v1::JobSpec& spec = fake().submit_requests[0].spec();
  EXPECT_FALSE(fake().submit_requests[0].dry_run());
  EXPECT_EQ(spec.kind(), "migrate_mma");
  EXPECT_EQ(spec.parameters().onboarding_script_id(), std::string(64, 'e'));
  EXPECT_EQ(spec.parameters().installer_msi_id(), "ab" + std::string(62, '1'));
  EXPECT_EQ(spec.parameters().workspace_id(),
            "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(spec.policy().max_in_flight(), 20u);
  EXPECT_THAT(spec.target().os_families(), ElementsAre(v1::OS_FAMILY_WS2016));
  EXPECT_EQ(spec.target().labels().at("site"), "osaka");
  EXPECT_EQ(spec.target().hostname_glob(), "SIM-*");
  EXPECT_FALSE(spec.target().all());
}

TEST_F(CommandsTest, KindMayFollowRepeatedTargets) {
  fake().submit_response.mutable_job()->set_id("job-7");
  Result r = Run(
      {"jobs", "submit", "--target", "all", "--target", "os:2016", "onboard"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Result extra = Run({"jobs", "submit", "--target", "all", "onboard", "x"});
  EXPECT_EQ(extra.exit_code, 2);
  std::lock_guard<std::mutex> lock(fake().mu);
  ASSERT_EQ(fake().submit_requests.size(), 1u);
  EXPECT_EQ(fake().submit_requests[0].spec().kind(), "onboard");
  EXPECT_TRUE(fake().submit_requests[0].spec().target().all());
  EXPECT_THAT(fake().submit_requests[0].spec().target().os_families(),
              ElementsAre(v1::OS_FAMILY_WS2016));
}

TEST_F(CommandsTest, ServerValidationErrorsNameTheField) {
  fake().submit_status =
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                   "kind: unknown job kind \"frobnicate\"; expected one of "
                   "install, onboard, migrate_mma, offboard");
  Result r = Run({"jobs", "submit", "frobnicate", "--target", "all"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err,
              HasSubstr("error: invalid request: kind: unknown job kind"));
}

TEST_F(CommandsTest, DryRunShowsStepsAndWarningsButNeverScriptContent) {
  v1::SubmitJobResponse& response = fake().submit_response;
  response.set_targeted(1);
  v1::DevicePlan* plan = response.add_plans();
  plan->set_device_id("dev-1");
  plan->set_hostname("SIM-2012R2-0000");
  plan->set_os_family(v1::OS_FAMILY_WS2012R2);
  v1::PlannedStep* step = plan->mutable_plan()->add_steps();
  step->set_name("run_install_ps1");
  step->set_description("Run Install.ps1 -OnboardingScript");
  step->mutable_action()->mutable_run_process()->add_args(
      "SECRET-ONBOARDING-BLOB");
  v1::PlannedStep* fetch = plan->mutable_plan()->add_steps();
  fetch->set_name("fetch_onboarding_script");
  fetch->set_description("Fetch the onboarding script");
  plan->mutable_plan()->add_warnings(
      "Windows Server 2012 R2 is out of extended support");

  Result r = Run({"jobs", "submit", "onboard", "--target", "all",
                  "--onboarding-script", std::string(64, 'a'), "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("dry run: onboard would target 1 device"));
  EXPECT_THAT(r.out, HasSubstr("SIM-2012R2-0000  (2012r2, id dev-1)"));
  EXPECT_THAT(r.out, HasSubstr("1  run_install_ps1          Run Install.ps1"));
  EXPECT_THAT(r.out, HasSubstr("2  fetch_onboarding_script  Fetch"));
  EXPECT_THAT(r.out, HasSubstr("warning: Windows Server 2012 R2 is out of"));
  EXPECT_THAT(r.out, Not(HasSubstr("SECRET")));
  std::lock_guard<std::mutex> lock(fake().mu);
  EXPECT_TRUE(fake().submit_requests[0].dry_run());
}

v1::Job JobWith(v1::JobState state, uint32_t succeeded, uint32_t failed,
                uint32_t running) {
  v1::Job job;
  job.set_id("j1");
  job.mutable_spec()->set_kind("onboard");
  job.set_state(state);
  job.mutable_counts()->set_total(4);
  job.mutable_counts()->set_succeeded(succeeded);
  job.mutable_counts()->set_failed(failed);
  job.mutable_counts()->set_running(running);
  job.mutable_counts()->set_queued(4 - succeeded - failed - running);
  return job;
}

void AddStepSummary(v1::Job* job) {
  auto* s = job->add_step_summary();
  s->set_step_name("verify_sense_running");
  s->set_succeeded(job->counts().succeeded());
  s->set_failed(job->counts().failed());
}

TEST_F(CommandsTest, WatchSucceededPrintsProgressAndSummaryAndExitsZero) {
  fake().watch_updates = {JobWith(v1::JOB_STATE_RUNNING, 1, 0, 2),
                          JobWith(v1::JOB_STATE_SUCCEEDED, 4, 0, 0)};
  fake().final_job = JobWith(v1::JOB_STATE_SUCCEEDED, 4, 0, 0);
  AddStepSummary(&fake().final_job);
  Result r = Run({"jobs", "watch", "j1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("[0s] running ["));
  EXPECT_THAT(r.out, HasSubstr("[0s] succeeded [###"));
  EXPECT_THAT(r.out, HasSubstr("100%  4/4"));
  EXPECT_THAT(r.out, HasSubstr("job j1 succeeded"));
  EXPECT_THAT(r.out, HasSubstr("verify_sense_running"));
  EXPECT_THAT(r.out, Not(HasSubstr("\r")));  // not a terminal: no redraw
  EXPECT_THAT(r.err, IsEmpty());
}

TEST_F(CommandsTest, WatchWithoutATerminalPrintsAtIntervalsAndTheEnd) {
  // The clock stands still: only the first update and the final one print.
  fake().watch_updates = {JobWith(v1::JOB_STATE_RUNNING, 1, 0, 1),
                          JobWith(v1::JOB_STATE_RUNNING, 2, 0, 1),
                          JobWith(v1::JOB_STATE_SUCCEEDED, 4, 0, 0)};
  fake().final_job = JobWith(v1::JOB_STATE_SUCCEEDED, 4, 0, 0);
  Result r = Run({"jobs", "watch", "j1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(" 25%  1/4"));
  EXPECT_THAT(r.out, Not(HasSubstr(" 50%  2/4")));
  EXPECT_THAT(r.out, HasSubstr("100%  4/4"));
}

TEST_F(CommandsTest, WatchWithoutUpdatesFallsBackToTheJobsState) {
  fake().final_job = JobWith(v1::JOB_STATE_SUCCEEDED, 4, 0, 0);
  Result r = Run({"jobs", "watch", "j1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("job j1 succeeded"));
  fake().final_job.set_state(v1::JOB_STATE_CANCELLED);
  Result cancelled = Run({"jobs", "watch", "j1"});
  EXPECT_EQ(cancelled.exit_code, 1);
  EXPECT_THAT(cancelled.err, HasSubstr("error: job j1 ended cancelled"));
}

TEST_F(CommandsTest, WatchUnknownJobIsNotFound) {
  fake().final_job.set_id("j1");
  Result r = Run({"jobs", "watch", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: not found: job_id"));
}

TEST_F(CommandsTest, WatchFailedShowsFailingStepsAndExitsOne) {
  v1::Job failing = JobWith(v1::JOB_STATE_RUNNING, 1, 1, 1);
  auto* f = failing.add_failing_steps();
  f->set_step_name("run_install_ps1");
  f->set_message("Install.ps1 exit 4: no internet connectivity");
  f->set_count(1);
  v1::Job done = failing;
  done.set_state(v1::JOB_STATE_FAILED);
  done.set_state_reason("1 task failed");
  done.mutable_counts()->set_running(0);
  done.mutable_counts()->set_succeeded(3);
  done.mutable_counts()->set_queued(0);
  fake().watch_updates = {failing, done};
  fake().final_job = done;
  AddStepSummary(&fake().final_job);
  Result r = Run({"jobs", "watch", "j1"}, Terminal{true, 100});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("\r\033[K"));  // redrawn in place
  EXPECT_THAT(r.out,
              HasSubstr("failed: run_install_ps1 (1 device): "
                        "Install.ps1 exit 4: no internet connectivity\n"));
  EXPECT_THAT(r.out, HasSubstr("failing steps:\n  run_install_ps1"));
  EXPECT_THAT(r.err, HasSubstr("error: job j1 ended failed: 1 task failed"));
}

TEST_F(CommandsTest, SubmitWatchJsonPrintsOnlyTheFinalJob) {
  fake().submit_response.mutable_job()->set_id("j1");
  fake().submit_response.set_targeted(4);
  fake().watch_updates = {JobWith(v1::JOB_STATE_SUCCEEDED, 4, 0, 0)};
  fake().final_job = JobWith(v1::JOB_STATE_SUCCEEDED, 4, 0, 0);
  Result r = Run({"jobs", "submit", "onboard", "--target", "all", "--watch",
                  "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  v1::Job job;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &job).ok())
      << r.out;
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(CommandsTest, JobsGetShowsCountsStepSummaryAndFailures) {
  fake().final_job = JobWith(v1::JOB_STATE_FAILED, 3, 1, 0);
  fake().final_job.set_state_reason("1 task failed");
  AddStepSummary(&fake().final_job);
  auto* f = fake().final_job.add_failing_steps();
  f->set_step_name("verify_sense_running");
  f->set_message("Sense did not reach RUNNING within 2m");
  f->set_count(1);
  Result r = Run({"jobs", "get", "j1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("failed: 1 task failed"));
  EXPECT_THAT(r.out, HasSubstr("4 total: succeeded 3, failed 1"));
  EXPECT_THAT(r.out, HasSubstr("STEP                  SUCCEEDED"));
  EXPECT_THAT(r.out,
              HasSubstr("verify_sense_running (1 device): Sense did not"));

  Result missing = Run({"jobs", "get", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("error: not found: job_id"));
}

TEST_F(CommandsTest, JobsListAndCancel) {
  fake().final_job = JobWith(v1::JOB_STATE_RUNNING, 1, 0, 1);
  Result list = Run({"jobs", "list", "--state", "running", "--limit", "5"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("j1"));
  EXPECT_THAT(list.out, HasSubstr("1/4"));
  Result cancel = Run({"jobs", "cancel", "j1"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("job j1 cancelled by admin"));
}

TEST_F(CommandsTest, JobsTasksFollowsPages) {
  for (int i = 0; i < 5; ++i) {
    v1::Task task;
    task.set_id(absl::StrCat("t", i));
    task.set_hostname(absl::StrCat("SIM-2016-000", i));
    task.set_state(i == 3 ? v1::TASK_STATE_FAILED : v1::TASK_STATE_SUCCEEDED);
    v1::StepResult* step = task.add_steps();
    step->set_name("run_install_ps1");
    step->set_state(i == 3 ? v1::STEP_STATE_FAILED : v1::STEP_STATE_SUCCEEDED);
    step->set_message(i == 3 ? "Install.ps1 exit 12: pending reboot"
                             : "Install.ps1 exit 0");
    fake().tasks.push_back(task);
  }
  Result json = Run({"jobs", "tasks", "j1", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  v1::ListTasksResponse tasks;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(json.out, &tasks).ok());
  ASSERT_EQ(tasks.tasks_size(), 5);
  EXPECT_EQ(tasks.tasks(3).steps(0).message(),
            "Install.ps1 exit 12: pending reboot");

  Result table = Run({"jobs", "tasks", "j1"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(
      table.out,
      HasSubstr("SIM-2016-0003  failed     run_install_ps1: Install.ps1 "
                "exit 12: pending reboot"));
  EXPECT_THAT(table.out, HasSubstr("5 tasks"));
}

TEST_F(CommandsTest, DevicesGet) {
  v1::Device d = MakeDevice(3);
  d.mutable_facts()->add_mma_workspaces("11111111-2222-3333-4444-555555555555");
  d.mutable_facts()->set_onboarding_state(-1);
  fake().devices.push_back(d);
  Result r = Run({"devices", "get", "dev-3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("SIM-2019-3"));
  EXPECT_THAT(r.out, HasSubstr("11111111-2222-3333-4444-555555555555"));
  EXPECT_THAT(r.out, HasSubstr("onboarding state     absent"));
  Result missing = Run({"devices", "get", "dev-404"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("error: not found: device_id"));
}

TEST_F(CommandsTest, DevicesGetShowsTheEnrollmentHistory) {
  v1::Device d;
  d.set_id("dev-7");
  d.mutable_facts()->set_hostname("WEB-2019-7");
  d.mutable_facts()->set_host_identity_sha256(std::string(64, 'a'));
  v1::DeviceEnrollment* e = d.mutable_enrollment();
  e->set_enrollments(2);
  e->mutable_last_reenrolled_at()->set_seconds(1700000000);
  e->set_last_reenrolled_by("client certificate");
  e->set_refused_claims(1);
  v1::RefusedClaim* claim = e->add_recent_refused_claims();
  claim->mutable_at()->set_seconds(1700000100);
  claim->set_enrollment_secret("runners");
  claim->set_hostname("WEB-2019-7");
  claim->set_new_device_id("dev-8");
  claim->set_reason(
      "reported the host identity of device dev-7 without "
      "proving it holds that device");
  fake().devices.push_back(d);
  Result r = Run({"devices", "get", "dev-7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("host identity hash   ",
                                            std::string(64, 'a'))));
  EXPECT_THAT(r.out, HasSubstr("enrollments          2 (last re-enrolled"));
  EXPECT_THAT(r.out, HasSubstr("by client certificate)"));
  EXPECT_THAT(r.out, HasSubstr("refused claims       1 (latest below)"));
  EXPECT_THAT(r.out, HasSubstr("REFUSED CLAIM"));
  EXPECT_THAT(r.out, HasSubstr("new device dev-8"));
}

TEST_F(CommandsTest, DevicesResetIdentityNeedsAReasonAndSaysWhatIsNext) {
  v1::Device d;
  d.set_id("dev-9");
  d.mutable_facts()->set_hostname("APP-2022-9");
  fake().devices.push_back(d);
  Result no_reason = Run({"devices", "reset-identity", "dev-9"});
  EXPECT_EQ(no_reason.exit_code, 2);
  EXPECT_THAT(no_reason.err, HasSubstr("--reason is required"));
  Result blank = Run({"devices", "reset-identity", "dev-9", "--reason", " "});
  EXPECT_EQ(blank.exit_code, 2);
  EXPECT_EQ(Calls(), 0u) << "refused before calling the server";

  Result r =
      Run({"devices", "reset-identity", "dev-9", "--reason", "reinstalled"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("reset the identity of device dev-9 "
                               "(APP-2022-9): the next enrollment reporting "
                               "its host identity takes it over"));
  EXPECT_THAT(r.out, HasSubstr("empty state directory"));
  {
    std::lock_guard<std::mutex> lock(fake().mu);
    ASSERT_EQ(fake().reset_requests.size(), 1u);
    EXPECT_EQ(fake().reset_requests[0].device_id(), "dev-9");
    EXPECT_EQ(fake().reset_requests[0].reason(), "reinstalled");
  }
  Result missing =
      Run({"devices", "reset-identity", "dev-404", "--reason", "x"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no device \"dev-404\""));
}

TEST_F(CommandsTest, HelpExitsZero) {
  Result r = RunRaw({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("devices"));
  Result sub = RunRaw({"jobs", "submit", "--help"});
  EXPECT_EQ(sub.exit_code, 0);
  EXPECT_THAT(sub.out, HasSubstr("--target"));
  // Every kind the server plans, from the one list (common/plan).
  for (const std::string& kind : KnownJobKinds()) {
    EXPECT_THAT(sub.out, HasSubstr(kind)) << kind;
  }
  EXPECT_THAT(sub.out, HasSubstr("uninstall"));
}

}  // namespace
}  // namespace mdefleet::cli

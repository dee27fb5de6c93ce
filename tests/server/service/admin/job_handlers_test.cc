// JobHandlers without gRPC: submit (dry run, default installer artifacts,
// every bad input: names the field, stores nothing; an expired offboarding
// script) and a watch that streams until the job ends.
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/server/service/admin/admin_handlers_fixture.h"
#include "tests/testing/eventually.h"

namespace mdefleet::testing {
namespace {

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

}  // namespace
}  // namespace mdefleet::testing

// The tenant's MDE workspace ids (serve --mde-workspace-id, stored by
// store::ApplyMdeWorkspaceIds): only they make mma_reporting, stop onboard
// and may be removed by migrate_mma; a change is audited and recomputes
// every device's needs (article 001: other workspaces keep the server's
// monitoring).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/settings.h"
#include "server/store/time_util.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kMde[] = "11111111-2222-3333-4444-555555555555";
constexpr char kLogAnalytics[] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

class MdeWorkspacesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mde_ = env_.Enroll(WithMma("MDE-2016", {kMde, kLogAnalytics}));
    la_ = env_.Enroll(WithMma("LA-2016", {kLogAnalytics}));
    onboarding_ = env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                              "WindowsDefenderATPOnboardingScript.cmd",
                              OnboardingScript());
    env_.Upload(v1::ARTIFACT_KIND_INSTALL_SCRIPT, "Install.ps1",
                InstallScript());
    env_.Upload(v1::ARTIFACT_KIND_INSTALLER_MSI, "md4ws.msi", InstallerMsi());
  }
  static v1::DeviceFacts WithMma(absl::string_view host,
                                 std::vector<std::string> workspaces) {
    v1::DeviceFacts f = MakeFacts(host, "2016");
    f.set_mma_installed(true);
    for (const std::string& ws : workspaces) f.add_mma_workspaces(ws);
    return f;
  }
  absl::StatusOr<store::MdeWorkspaceChange> Apply(
      std::vector<std::string> ids) {
    store::MdeWorkspaceChange change;
    absl::Status s = env_.store().Write([&](store::Connection& db) {
      ASSIGN_OR_RETURN(change, store::ApplyMdeWorkspaceIds(
                                   db, ids, "test serve",
                                   store::ToMicros(env_.clock().Now())));
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return change;
  }
  std::vector<std::string> Needs(const EnrolledDevice& d) {
    v1::GetDeviceRequest req;
    req.set_device_id(d.id);
    auto device = env_.admin().inventory().GetDevice(env_.admin_bearer(), req);
    EXPECT_TRUE(device.ok()) << device.status();
    std::vector<std::string> ids;
    for (const auto& n : device->needs()) ids.push_back(n.need());
    return ids;
  }
  v1::SubmitJobRequest Job(absl::string_view kind, absl::string_view ws = "") {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind(std::string(kind));
    r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        onboarding_.id());
    r.mutable_spec()->mutable_parameters()->set_workspace_id(std::string(ws));
    r.mutable_spec()->mutable_target()->add_os_families(v1::OS_FAMILY_WS2016);
    return r;
  }
  // The state and message of each device's task of `job_id`, by host.
  std::map<std::string, v1::Task> Tasks(const std::string& job_id) {
    v1::ListTasksRequest req;
    req.set_job_id(job_id);
    auto tasks = env_.admin().jobs().ListTasks(env_.admin_bearer(), req);
    EXPECT_TRUE(tasks.ok()) << tasks.status();
    std::map<std::string, v1::Task> out;
    for (const v1::Task& t : tasks->tasks()) out[t.hostname()] = t;
    return out;
  }
  std::vector<v1::AuditEntry> SettingChanges() {
    v1::ListAuditLogRequest req;
    req.set_action("change_settings");
    auto log = env_.admin().audit().ListAuditLog(env_.admin_bearer(), req);
    EXPECT_TRUE(log.ok()) << log.status();
    return {log->entries().begin(), log->entries().end()};
  }

  TestEnv env_;
  EnrolledDevice mde_;
  EnrolledDevice la_;
  v1::Artifact onboarding_;
};

TEST_F(MdeWorkspacesTest, NotConfiguredAnyWorkspaceMightBeTheMdeOne) {
  EXPECT_THAT(Needs(mde_), Contains("mma_reporting"));
  EXPECT_THAT(Needs(la_), Contains("mma_reporting"));
  EXPECT_THAT(Needs(la_), Not(Contains("not_onboarded")));
}

TEST_F(MdeWorkspacesTest, OnlyTheTenantsWorkspaceCountsAndChangesAreAudited) {
  auto change = Apply({kMde});
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_TRUE(change->changed());
  EXPECT_EQ(change->devices_recomputed, 2);
  // The Log Analytics server is simply not onboarded; the other still has
  // the MDE workspace to migrate.
  EXPECT_THAT(Needs(mde_), Contains("mma_reporting"));
  EXPECT_THAT(Needs(la_), Not(Contains("mma_reporting")));
  EXPECT_THAT(Needs(la_), Contains("not_onboarded"));
  std::vector<v1::AuditEntry> log = SettingChanges();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].actor(), "test serve");
  EXPECT_EQ(log[0].target(), "mde_workspace_ids");
  EXPECT_EQ(log[0].detail(), std::string("from (none) to ") + kMde);

  // The same ids again (a restart with the same flags): nothing to audit.
  change = Apply({kMde});
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_FALSE(change->changed());
  EXPECT_EQ(SettingChanges().size(), 1u);

  // Forgotten ("none"): every workspace might be it again.
  change = Apply({});
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_TRUE(change->changed());
  EXPECT_THAT(Needs(la_), Contains("mma_reporting"));
  EXPECT_EQ(SettingChanges().size(), 2u);
}

TEST_F(MdeWorkspacesTest, OnboardStopsOnlyForTheMdeWorkspace) {
  ASSERT_TRUE(Apply({kMde}).ok());
  auto job = env_.admin().jobs().SubmitJob(env_.admin_bearer(), Job("onboard"));
  ASSERT_TRUE(job.ok()) << job.status();
  auto tasks = Tasks(job->job().id());
  // Both are queued; only the MDE one carries a precheck on its workspace.
  ASSERT_EQ(tasks.size(), 2u);
  auto step_names = [](const v1::Task& t) {
    std::vector<std::string> names;
    for (const auto& s : t.steps()) names.push_back(s.name());
    return names;
  };
  EXPECT_EQ(tasks["LA-2016"].state(), v1::TASK_STATE_QUEUED);
  EXPECT_THAT(step_names(tasks["LA-2016"]),
              Not(Contains("precheck_mma_workspace")));
  EXPECT_THAT(step_names(tasks["MDE-2016"]),
              Contains("precheck_mma_workspace"));
}

TEST_F(MdeWorkspacesTest, MigrateMmaRemovesOnlyTheTenantsWorkspace) {
  ASSERT_TRUE(Apply({kMde}).ok());
  // Naming the Log Analytics workspace: refused with the field, nothing
  // stored.
  const std::string before = env_.Snapshot();
  auto refused = env_.admin().jobs().SubmitJob(
      env_.admin_bearer(), Job("migrate_mma", kLogAnalytics));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StartsWith(refused.status().message(), "parameters.workspace_id: "))
      << refused.status();
  EXPECT_THAT(refused.status().message(),
              HasSubstr("is not the tenant's Defender for Endpoint workspace"));
  EXPECT_EQ(env_.Snapshot(), before);

  // The MDE workspace: the device that does not report it is refused at
  // submit (its task fails at once, saying why); the other is queued.
  auto job = env_.admin().jobs().SubmitJob(env_.admin_bearer(),
                                           Job("migrate_mma", kMde));
  ASSERT_TRUE(job.ok()) << job.status();
  auto tasks = Tasks(job->job().id());
  EXPECT_EQ(tasks["MDE-2016"].state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(tasks["LA-2016"].state(), v1::TASK_STATE_FAILED);
  EXPECT_THAT(tasks["LA-2016"].message(),
              HasSubstr(std::string("does not report to workspace ") + kMde));
}

}  // namespace
}  // namespace mdefleet::testing

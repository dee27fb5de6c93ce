// BuildPlan across every kind and release: dispatch, unsupported releases,
// warnings and the invariants every plan keeps.
#include "common/plan/plan.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "common/os_family.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(KnownJobKindsTest, ListsTheKindsInOperatorOrder) {
  EXPECT_THAT(
      KnownJobKinds(),
      ElementsAre("install", "onboard", "migrate_mma", "offboard", "uninstall",
                  "api_offboard", "image_prep", "configure_proxy",
                  "set_passive_mode", "health_check", "connectivity_test",
                  "collect_diagnostics"));
}

TEST(BuildPlanTest, UnknownKindIsInvalidArgumentNamingKind) {
  PlanInputs inputs = InputsFor("onboard");
  inputs.kind = "reimage";
  auto plan = BuildPlan(inputs, FactsFor(v1::OS_FAMILY_WS2019));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("kind: unknown job kind \"reimage\"; expected one of "
                        "install, onboard, migrate_mma, offboard, "
                        "uninstall, api_offboard, image_prep"));
}

TEST(BuildPlanTest, UnknownKindIsReportedBeforeUnsupportedRelease) {
  v1::DeviceFacts facts;
  facts.set_os_version("10.0.19045.1");
  PlanInputs inputs = InputsFor("onboard");
  inputs.kind = "";
  EXPECT_EQ(BuildPlan(inputs, facts).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BuildPlanTest, UnsupportedReleaseIsFailedPreconditionForEveryKind) {
  v1::DeviceFacts facts;
  facts.set_os_version("10.0.19045.3570");  // Windows 10 22H2
  facts.set_os_product("Windows 10 Enterprise");
  for (const std::string& kind : KnownJobKinds()) {
    auto plan = BuildPlan(InputsFor(kind), facts);
    ASSERT_FALSE(plan.ok()) << kind;
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition)
        << kind;
    EXPECT_THAT(plan.status().message(), HasSubstr("10.0.19045.3570")) << kind;
    EXPECT_THAT(plan.status().message(), HasSubstr("Windows 10 Enterprise"));
    EXPECT_THAT(
        plan.status().message(),
        HasSubstr("2012 R2 (6.3.9600), 2016 (10.0.14393), 2019 "
                  "(10.0.17763), 2022 (10.0.20348), 2025 (10.0.26100)"));
  }
}

TEST(BuildPlanTest, OldServerReleasesAreUnsupported) {
  for (const char* version : {"6.1.7601", "6.2.9200", "6.3.9601", ""}) {
    v1::DeviceFacts facts;
    facts.set_os_version(version);
    EXPECT_EQ(BuildPlan(InputsFor("install"), facts).status().code(),
              absl::StatusCode::kFailedPrecondition)
        << version;
  }
}

TEST(BuildPlanTest, ReleaseComesFromVersionWhenFamilyIsNotFilledIn) {
  v1::DeviceFacts facts = FactsFor(v1::OS_FAMILY_WS2016);
  facts.clear_os_family();
  auto plan = BuildPlan(InputsFor("onboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(HasStep(*plan, "run_install_ps1"));

  facts = FactsFor(v1::OS_FAMILY_WS2022);
  facts.clear_os_family();
  plan = BuildPlan(InputsFor("onboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(HasStep(*plan, "run_onboarding_script"));
}

TEST(BuildPlanTest, Warns2012R2IsOutOfSupportForEveryKind) {
  for (const std::string& kind : KnownJobKinds()) {
    v1::DeviceFacts facts = FactsFor(v1::OS_FAMILY_WS2012R2);
    facts.add_mma_workspaces(kWorkspace);
    PlanInputs inputs = InputsFor(kind);
    inputs.mde_workspace_ids = {kWorkspace};
    auto plan = BuildPlan(inputs, facts);
    ASSERT_TRUE(plan.ok()) << kind << ": " << plan.status();
    EXPECT_THAT(plan->warnings(),
                ElementsAre("Windows Server 2012 R2 is out of extended support "
                            "(ended 2023-10-10): onboarding is possible but "
                            "not recommended"))
        << kind;
  }
}

TEST(BuildPlanTest, NoWarningsOnASupportedReleaseWithoutPendingReboot) {
  for (v1::OsFamily family : AllFamilies()) {
    if (family == v1::OS_FAMILY_WS2012R2) continue;
    for (const std::string& kind : KnownJobKinds()) {
      v1::DeviceFacts facts = FactsFor(family);
      PlanInputs inputs = InputsFor(kind);
      inputs.mde_workspace_ids = {kWorkspace};
      auto plan = BuildPlan(inputs, facts);
      ASSERT_TRUE(plan.ok()) << kind << ": " << plan.status();
      EXPECT_THAT(plan->warnings(), IsEmpty()) << kind << " " << family;
    }
  }
}

TEST(BuildPlanTest, WarnsAboutPendingRebootOnlyWhenInstallPs1Runs) {
  v1::DeviceFacts facts = FactsFor(v1::OS_FAMILY_WS2016);
  facts.set_reboot_pending(true);
  auto plan = BuildPlan(InputsFor("onboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->warnings_size(), 1);
  EXPECT_THAT(plan->warnings(0), HasSubstr("Install.ps1 exits 12"));
  EXPECT_THAT(plan->warnings(0), HasSubstr("the runner restarts it"));

  facts = FactsFor(v1::OS_FAMILY_WS2019);
  facts.set_reboot_pending(true);
  plan = BuildPlan(InputsFor("install"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(), IsEmpty());
}

// Facts variants worth planning for on every release.
std::vector<v1::DeviceFacts> NotableFacts(v1::OsFamily family) {
  std::vector<v1::DeviceFacts> out;
  out.push_back(FactsFor(family));
  v1::DeviceFacts av = FactsFor(family);
  av.set_third_party_av("CSFalconService");
  out.push_back(av);
  v1::DeviceFacts passive = av;
  passive.set_passive_mode_forced(true);
  out.push_back(passive);
  v1::DeviceFacts onboarded = FactsFor(family);
  onboarded.set_sensor_installed(true);
  onboarded.set_sense_state(v1::SERVICE_STATE_RUNNING);
  onboarded.set_onboarding_state(1);
  out.push_back(onboarded);
  if (UsesUnifiedAgentInstaller(family)) {
    v1::DeviceFacts mma = FactsFor(family);
    mma.set_mma_installed(true);
    mma.add_mma_workspaces(kWorkspace);
    out.push_back(mma);
    v1::DeviceFacts other = mma;
    other.set_mma_workspaces(0, kOtherWorkspace);
    out.push_back(other);
  }
  return out;
}

bool IsSnakeCase(const std::string& s) {
  if (s.empty() || !absl::ascii_islower(s[0])) return false;
  for (char c : s) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') {
      return false;
    }
  }
  return true;
}

TEST(BuildPlanTest, EveryPlanKeepsTheStepInvariants) {
  int plans = 0;
  int refused = 0;
  for (v1::OsFamily family : AllFamilies()) {
    for (const std::string& kind : KnownJobKinds()) {
      for (const v1::DeviceFacts& facts : NotableFacts(family)) {
        SCOPED_TRACE(kind + " on " + OsFamilyName(family) + " facts " +
                     facts.ShortDebugString());
        auto plan = BuildPlan(InputsFor(kind), facts);
        if (kind == "migrate_mma" && UsesUnifiedAgentInstaller(family) &&
            absl::IsFailedPrecondition(plan.status())) {
          ++refused;  // MMA reports another workspace: refused at submit
          continue;
        }
        ASSERT_TRUE(plan.ok()) << plan.status();
        ++plans;
        ASSERT_GT(plan->steps_size(), 0);
        std::set<std::string> names;
        for (const v1::PlannedStep& step : plan->steps()) {
          EXPECT_TRUE(IsSnakeCase(step.name())) << step.name();
          EXPECT_TRUE(names.insert(step.name()).second)
              << "duplicate step " << step.name();
          EXPECT_FALSE(step.description().empty()) << step.name();
          const v1::Action& action = step.action();
          ASSERT_NE(action.kind_case(), v1::Action::KIND_NOT_SET)
              << step.name();
          // netsh winhttp set/reset proxy is idempotent; MDEClientAnalyzer
          // only collects (a second run writes a fresh bundle).
          EXPECT_EQ(step.rerun_safe(),
                    action.kind_case() != v1::Action::kRunProcess ||
                        action.run_process().program() == v1::PROGRAM_NETSH ||
                        step.name() == "run_client_analyzer")
              << step.name();
          switch (action.kind_case()) {
            case v1::Action::kCheckRegistry:
              EXPECT_FALSE(action.check_registry().mismatch_message().empty());
              EXPECT_NE(action.check_registry().expect_case(),
                        v1::CheckRegistryAction::EXPECT_NOT_SET);
              break;
            case v1::Action::kCheckService:
              EXPECT_FALSE(action.check_service().mismatch_message().empty());
              EXPECT_GT(action.check_service().accept_size(), 0);
              break;
            case v1::Action::kWaitServiceState:
              EXPECT_FALSE(
                  action.wait_service_state().mismatch_message().empty());
              EXPECT_EQ(action.wait_service_state().timeout().seconds(), 120);
              break;
            case v1::Action::kCheckUrl:
              // Through the configured proxy the runner names URL and proxy.
              EXPECT_TRUE(!action.check_url().mismatch_message().empty() ||
                          action.check_url().via_configured_proxy());
              break;
            case v1::Action::kSetRegistryValue:
              EXPECT_NE(action.set_registry_value().value().value_case(),
                        v1::RegistryValue::VALUE_NOT_SET);
              break;
            case v1::Action::kDeleteRegistryValue:
              EXPECT_FALSE(action.delete_registry_value().name().empty());
              break;
            case v1::Action::kCheckWinhttpProxy:
              EXPECT_FALSE(
                  action.check_winhttp_proxy().mismatch_message().empty());
              break;
            case v1::Action::kFetchArtifact:
              EXPECT_EQ(action.fetch_artifact().artifact_id().size(), 64u);
              EXPECT_FALSE(action.fetch_artifact().file_name().empty());
              break;
            case v1::Action::kRunProcess:
              EXPECT_FALSE(action.run_process().display_name().empty());
              EXPECT_GT(action.run_process().timeout().seconds(), 0);
              break;
            case v1::Action::kSkip:
              EXPECT_FALSE(action.skip().reason().empty());
              break;
            case v1::Action::kDeleteDirectoryContents:
              EXPECT_FALSE(action.delete_directory_contents().path().empty());
              break;
            case v1::Action::kReboot:
              EXPECT_FALSE(action.reboot().reason().empty());
              break;
            case v1::Action::kCheckCloudConnection:
              EXPECT_GT(action.check_cloud_connection().timeout().seconds(), 0);
              break;
            case v1::Action::kExtractZip:
              EXPECT_FALSE(action.extract_zip().archive().empty());
              EXPECT_FALSE(action.extract_zip().destination().empty());
              break;
            case v1::Action::kUploadDiagnosticsBundle:
              EXPECT_GT(action.upload_diagnostics_bundle().candidates_size(),
                        0);
              break;
            case v1::Action::kCheckDirectoryEmpty:
              EXPECT_FALSE(action.check_directory_empty().path().empty());
              EXPECT_FALSE(
                  action.check_directory_empty().mismatch_message().empty());
              break;
            default:
              ADD_FAILURE() << "unexpected action in " << step.name();
          }
        }
        // Fetches come before the program that uses them.
        bool ran = false;
        for (const v1::PlannedStep& step : plan->steps()) {
          if (step.action().has_run_process()) ran = true;
          if (step.action().has_fetch_artifact()) {
            EXPECT_FALSE(ran) << step.name() << " after the program ran";
          }
        }
      }
    }
  }
  // migrate_mma on 2012 R2 and 2016: the facts reporting only another
  // workspace (one of six) are refused.
  EXPECT_EQ(refused, 2 * 1);
  EXPECT_EQ(plans + refused,
            static_cast<int>(KnownJobKinds().size()) * (2 * 6 + 3 * 4));
}

TEST(BuildPlanTest, IsDeterministic) {
  v1::DeviceFacts facts = FactsFor(v1::OS_FAMILY_WS2016);
  facts.set_third_party_av("SentinelAgent");
  facts.add_mma_workspaces(kWorkspace);
  for (const std::string& kind : KnownJobKinds()) {
    auto a = BuildPlan(InputsFor(kind), facts);
    auto b = BuildPlan(InputsFor(kind), facts);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*a, *b))
        << kind;
  }
}

}  // namespace
}  // namespace mdefleet::testing

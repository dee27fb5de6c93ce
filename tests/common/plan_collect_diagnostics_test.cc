// collect_diagnostics: fetch MDEClientAnalyzer.zip, extract it, run
// MDEClientAnalyzer.cmd -r (non-interactive, data-collection-analyzer.md),
// upload MDEClientAnalyzerResult.zip; the same on every release.
#include <string>

#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CollectDiagnosticsTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(CollectDiagnosticsTest, FetchesExtractsRunsAndUploads) {
  auto plan = BuildPlan(InputsFor("collect_diagnostics"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("fetch_client_analyzer", "extract_client_analyzer",
                          "run_client_analyzer", "upload_diagnostics_bundle"));
  const auto& fetch = Step(*plan, "fetch_client_analyzer").action();
  EXPECT_EQ(fetch.fetch_artifact().artifact_id(), std::string(64, 'e'));
  EXPECT_EQ(fetch.fetch_artifact().file_name(), "MDEClientAnalyzer.zip");
  const auto& extract = Step(*plan, "extract_client_analyzer").action();
  EXPECT_EQ(extract.extract_zip().archive(),
            "${work_dir}\\MDEClientAnalyzer.zip");
  EXPECT_EQ(extract.extract_zip().destination(),
            "${work_dir}\\MDEClientAnalyzer");
  const v1::PlannedStep& run = Step(*plan, "run_client_analyzer");
  EXPECT_EQ(run.action().run_process().program(), v1::PROGRAM_CMD_SCRIPT);
  EXPECT_THAT(
      run.action().run_process().args(),
      ElementsAre("${work_dir}\\MDEClientAnalyzer\\MDEClientAnalyzer.cmd",
                  "-r"));
  EXPECT_EQ(run.action().run_process().timeout().seconds(), 30 * 60);
  // Its bundle is sent even when the analyzer exits non-zero.
  EXPECT_TRUE(run.continue_on_failure());
  const auto& upload = Step(*plan, "upload_diagnostics_bundle").action();
  EXPECT_THAT(upload.upload_diagnostics_bundle().candidates(),
              ElementsAre("${work_dir}\\MDEClientAnalyzer\\"
                          "MDEClientAnalyzerResult.zip",
                          HasSubstr("\\Downloads\\MDECA\\"
                                    "MDEClientAnalyzerResult.zip")));
}

TEST_P(CollectDiagnosticsTest, NoAnalyzerIsInvalidArgumentNamingTheParameter) {
  PlanInputs inputs = InputsFor("collect_diagnostics");
  inputs.client_analyzer.reset();
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.client_analyzer_id"));
}

INSTANTIATE_TEST_SUITE_P(AllReleases, CollectDiagnosticsTest,
                         ::testing::ValuesIn(AllFamilies()), FamilyParamName);

}  // namespace
}  // namespace mdefleet::testing

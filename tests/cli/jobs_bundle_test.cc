// `jobs get`'s diagnostics section for collect_diagnostics: each device's
// counts and findings, device text made inert, the rest pointed to.
#include "server/cli/jobs_bundle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mdefleet::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RenderDiagnosticsTest, CountsFindingsAndMissingBundles) {
  v1::ListTasksResponse tasks;
  v1::Task* with = tasks.add_tasks();
  with->set_hostname("SRV-2016-07");
  v1::DiagnosticsSummary* s = with->mutable_diagnostics();
  s->set_errors(25);
  s->set_warnings(1);
  s->set_informational(3);
  s->set_bundle_size(1234);
  v1::AnalyzerFinding* f = s->add_findings();
  f->set_severity("Error");
  f->set_id("1002");
  f->set_category("Connectivity");
  f->set_check("EDR Cloud CnC");
  f->set_result("cannot reach\x1b[31m it");
  v1::Task* without = tasks.add_tasks();
  without->set_device_id("dev-2");
  const std::string out = RenderDiagnostics(tasks);
  EXPECT_THAT(out, HasSubstr("SRV-2016-07: 25 errors, 1 warnings, 3 "
                             "informational (bundle 1234 bytes)"));
  EXPECT_THAT(out, HasSubstr("Error 1002 Connectivity/EDR Cloud CnC: cannot "
                             "reach"));
  // A terminal escape from the device is shown, not obeyed.
  EXPECT_THAT(out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(out, HasSubstr("(25 more in MDEClientAnalyzer.htm"));
  EXPECT_THAT(out, HasSubstr("dev-2: no result bundle kept"));
  EXPECT_EQ(RenderDiagnostics(v1::ListTasksResponse()), "");
}

}  // namespace
}  // namespace mdefleet::cli

// connectivity_test (seed 001, the MDEClientAnalyzer connectivity check):
// an HTTPS GET of every URL of the operator's list (else of the built-in
// list, common/data/defender_urls.txt, for the geography of the job's
// onboarding package, like the analyzer's -o; else for the analyzer's
// default geographies) the way the sensor goes (the EDR static proxy, else
// the system WinHTTP proxy, else WPAD, else direct, read when the step
// runs), one step per URL. Every URL is tried and
// recorded (continue_on_failure); the task fails at the end if any failed,
// each failed step naming its URL and the proxy used. The same on every
// release.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/defender_urls.h"
#include "common/plan/kind_plans.h"
#include "common/proxy_config.h"
#include "common/url_list.h"

namespace mdefleet::plan_internal {

absl::StatusOr<v1::Plan> BuildConnectivityTestPlan(const PlanContext& ctx) {
  std::vector<std::string> urls = ctx.inputs.urls;
  std::string source = "the job's URL list";
  if (urls.empty()) {
    DefaultUrlSet built_in =
        DefaultDefenderUrls(ctx.inputs.onboarding_geography);
    urls = std::move(built_in.urls);
    source = std::move(built_in.source);
  }
  if (urls.empty()) {
    return absl::InternalError(
        "the built-in Defender URL list is empty or unreadable "
        "(common/data/defender_urls.txt); pass --url-list");
  }
  v1::Plan plan;
  // Names sort in order: check_url_01 ... check_url_99 (check_url_001 when
  // a list is longer).
  const int width = urls.size() >= 100 ? 3 : 2;
  int index = 0;
  for (const std::string& url : urls) {
    ++index;
    v1::PlannedStep* step = AddStep(
        &plan, absl::StrFormat("check_url_%0*d", width, index),
        absl::StrCat(IsRevocationEndpoint(url) ? "HTTP GET " : "HTTPS GET ",
                     url, " the way the sensor goes (", source, ")"),
        /*rerun_safe=*/true);
    // A finding, not a fault to retry: the report is the result.
    step->set_failure_class(v1::FAILURE_CLASS_FINAL);
    step->set_continue_on_failure(true);
    v1::CheckUrlAction* check = step->mutable_action()->mutable_check_url();
    check->set_url(url);
    check->set_via_configured_proxy(true);
  }
  // A failure is easier to read knowing the proxies already disagree.
  for (const std::string& line : ProxyDisagreements(ctx.facts.proxy())) {
    plan.add_warnings(line);
  }
  return plan;
}

}  // namespace mdefleet::plan_internal

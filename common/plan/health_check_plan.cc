// health_check (seed 003, seed 001): one check per finding, each recorded as
// a step; every check runs (continue_on_failure) and the task fails at the
// end when any finding is bad. The report that ends the task carries fresh
// facts, so the inventory shows the results (cloud_connection among them).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mde_constants.h"
#include "common/plan/kind_plans.h"

namespace mdefleet::plan_internal {
namespace {

// Every health check is a finding: recorded, never the end of the task.
v1::PlannedStep* Finding(v1::Plan* plan) {
  v1::PlannedStep* step = plan->mutable_steps(plan->steps_size() - 1);
  step->set_continue_on_failure(true);
  return step;
}

// What the facts said about the three proxies when the job was submitted.
std::string DescribeProxy(const v1::ProxySettings& p) {
  std::vector<std::string> parts;
  parts.push_back(absl::StrCat(
      "EDR (TelemetryProxyServer): ",
      p.edr_proxy().empty() ? "none" : p.edr_proxy(),
      p.prefer_static_proxy() ? ", PreferStaticProxyForHttpRequest = 1" : ""));
  parts.push_back(absl::StrCat("Defender Antivirus (ProxyServer): ",
                               p.av_proxy().empty() ? "none" : p.av_proxy()));
  parts.push_back(absl::StrCat("system WinHTTP: ", p.winhttp_proxy().empty()
                                                       ? "direct"
                                                       : p.winhttp_proxy()));
  return absl::StrJoin(parts, "; ");
}

// Where the facts say Defender Antivirus is absent or stopped, a check of
// one of its settings would read a missing value as the default and pass;
// instead the check is on its service and fails saying why (`what`: what
// cannot be there without it).
bool AddAvAbsentCheck(const PlanContext& ctx, v1::Plan* plan,
                      absl::string_view name, absl::string_view description,
                      absl::string_view what) {
  const v1::AvMode mode = ctx.facts.av_mode();
  if (mode != v1::AV_MODE_NOT_INSTALLED && mode != v1::AV_MODE_DISABLED) {
    return false;
  }
  AddCheckService(
      plan, name, description, mde::kDefenderAvService,
      {v1::SERVICE_STATE_RUNNING}, v1::ON_MISMATCH_FAIL,
      absl::StrCat(mode == v1::AV_MODE_NOT_INSTALLED
                       ? "Defender Antivirus is not installed (no WinDefend "
                         "service)"
                       : "Defender Antivirus (WinDefend) is not running",
                   ": ", what));
  return true;
}

}  // namespace

absl::StatusOr<v1::Plan> BuildHealthCheckPlan(const PlanContext& ctx) {
  v1::Plan plan;
  AddCheckService(
      &plan, "check_sense_running", "Sense (the sensor) is running",
      mde::kSenseService, {v1::SERVICE_STATE_RUNNING}, v1::ON_MISMATCH_FAIL,
      absl::StrCat("service ", mde::kSenseService,
                   " is not running: the device is not onboarded or the "
                   "sensor stopped; run onboard, or see the SENSE event log"));
  Finding(&plan);
  AddCheckDword(&plan, "check_onboarding_state", "OnboardingState = 1",
                mde::kAtpStatusKey, mde::kOnboardingStateValue,
                DwordExpect::kEquals, 1, v1::ON_MISMATCH_FAIL,
                "not onboarded (OnboardingState is not 1): run onboard");
  Finding(&plan);
  if (!AddAvAbsentCheck(ctx, &plan, "check_cloud_protection",
                        "Cloud-delivered protection is on",
                        "there is no cloud-delivered protection; on 2012 "
                        "R2/2016 install md4ws, otherwise check that no "
                        "policy left by a removed antivirus disables it "
                        "(seed 001)")) {
    AddCheckDword(
        &plan, "check_cloud_protection",
        "Cloud-delivered protection is on (MAPSReporting is not 0)",
        mde::kSpynetPolicyKey, mde::kSpynetReportingValue,
        DwordExpect::kNotEquals, 0, v1::ON_MISMATCH_FAIL,
        "cloud-delivered protection is off (MAPSReporting = 0): turn on the "
        "Group Policy \"Join Microsoft MAPS\" or run Set-MpPreference "
        "-MAPSReporting Advanced");
    Finding(&plan)
        ->mutable_action()
        ->mutable_check_registry()
        ->set_fallback_key(std::string(mde::kSpynetKey));
  }
  Finding(&plan);
  v1::PlannedStep* maps =
      AddStep(&plan, "check_cloud_connection",
              "MpCmdRun.exe -ValidateMapsConnection reaches the cloud "
              "protection service (MAPS)",
              /*rerun_safe=*/true);
  maps->mutable_action()
      ->mutable_check_cloud_connection()
      ->mutable_timeout()
      ->set_seconds(120);
  Finding(&plan);
  AddCheckDword(&plan, "check_tamper_protection", "Tamper protection is on",
                mde::kDefenderFeaturesKey, mde::kTamperProtectionValue,
                DwordExpect::kEquals, 1, v1::ON_MISMATCH_FAIL,
                "tamper protection is off: turn it on in the Defender portal "
                "(Settings > Endpoints > Advanced features > Tamper "
                "protection); it needs cloud protection working");
  Finding(&plan)->mutable_action()->mutable_check_registry()->set_dword_mask(1);
  AddCheckService(&plan, "check_av_running",
                  "Defender Antivirus (WinDefend) is running",
                  mde::kDefenderAvService, {v1::SERVICE_STATE_RUNNING},
                  v1::ON_MISMATCH_FAIL,
                  "Defender Antivirus (WinDefend) is not running: check that "
                  "it is not disabled by a policy left by a removed "
                  "antivirus (seed 001)");
  Finding(&plan);
  if (AddAvAbsentCheck(ctx, &plan, "check_av_mode",
                       "Defender Antivirus runs in the mode this device needs",
                       "it has no running mode (active or passive)")) {
    // Checked on its service above.
  } else if (!ctx.facts.third_party_av().empty()) {
    AddCheckDword(
        &plan, "check_av_mode",
        absl::StrCat("Defender Antivirus runs in passive mode beside ",
                     ctx.facts.third_party_av()),
        mde::kDefenderKey, mde::kPassiveModeValue, DwordExpect::kEquals, 1,
        v1::ON_MISMATCH_FAIL,
        absl::StrCat("third-party antivirus ", ctx.facts.third_party_av(),
                     " runs beside an active Defender Antivirus: run "
                     "set_passive_mode (before onboarding when tamper "
                     "protection is on)"));
  } else {
    AddCheckDword(&plan, "check_av_mode",
                  "Defender Antivirus runs in active mode (no third-party "
                  "antivirus was found)",
                  mde::kDefenderKey, mde::kPassiveModeValue,
                  DwordExpect::kNotEquals, 1, v1::ON_MISMATCH_FAIL,
                  "Defender Antivirus runs in passive mode but no third-party "
                  "antivirus was found: nothing scans files in real time; "
                  "remove ForceDefenderPassiveMode and restart");
  }
  Finding(&plan);
  AddSkip(&plan, "report_proxy",
          "Proxy settings (as last reported; configure_proxy changes them)",
          absl::StrCat("proxy settings as reported: ",
                       DescribeProxy(ctx.facts.proxy())));
  v1::PlannedStep* conn = AddStep(
      &plan, "check_connectivity",
      "The Defender for Endpoint service is reachable through the proxy "
      "the sensor uses",
      /*rerun_safe=*/true);
  v1::CheckUrlAction* url = conn->mutable_action()->mutable_check_url();
  url->set_url(std::string(mde::kConnectivityCheckUrl));
  url->set_via_configured_proxy(true);
  url->set_mismatch_message(
      absl::StrCat("cannot reach ", mde::kConnectivityCheckUrl,
                   ": check the proxy settings (EDR, Defender Antivirus and "
                   "system WinHTTP) and the firewall; connectivity_test "
                   "checks the whole URL list"));
  Finding(&plan);
  AddCheckKey(&plan, "check_no_pending_reboot",
              "No restart is pending (Component Based Servicing)",
              mde::kCbsRebootPendingKey, /*expect_present=*/false,
              v1::ON_MISMATCH_FAIL,
              "a restart is pending (Component Based Servicing): restart the "
              "device in a maintenance window");
  Finding(&plan);
  AddCheckKey(&plan, "check_no_pending_update_reboot",
              "No restart is pending (Windows Update)",
              mde::kWuRebootRequiredKey, /*expect_present=*/false,
              v1::ON_MISMATCH_FAIL,
              "a restart is pending (Windows Update): restart the device in a "
              "maintenance window");
  Finding(&plan);
  return plan;
}

}  // namespace mdefleet::plan_internal

#include "tests/common/plan_test_util.h"

#include <string>

#include "common/os_family.h"
#include "gtest/gtest.h"

namespace mdefleet::testing {

const std::vector<v1::OsFamily>& AllFamilies() {
  static const auto* families = new std::vector<v1::OsFamily>{
      v1::OS_FAMILY_WS2012R2, v1::OS_FAMILY_WS2016, v1::OS_FAMILY_WS2019,
      v1::OS_FAMILY_WS2022, v1::OS_FAMILY_WS2025};
  return *families;
}

v1::DeviceFacts FactsFor(v1::OsFamily family) {
  v1::DeviceFacts facts;
  facts.set_hostname("SRV-01");
  switch (family) {
    case v1::OS_FAMILY_WS2012R2:
      facts.set_os_version("6.3.9600.20000");
      facts.set_os_product("Windows Server 2012 R2 Standard");
      break;
    case v1::OS_FAMILY_WS2016:
      facts.set_os_version("10.0.14393.6000");
      facts.set_os_product("Windows Server 2016 Datacenter");
      break;
    case v1::OS_FAMILY_WS2019:
      facts.set_os_version("10.0.17763.5122");
      facts.set_os_product("Windows Server 2019 Datacenter");
      break;
    case v1::OS_FAMILY_WS2022:
      facts.set_os_version("10.0.20348.2000");
      facts.set_os_product("Windows Server 2022 Datacenter");
      break;
    case v1::OS_FAMILY_WS2025:
      facts.set_os_version("10.0.26100.1000");
      facts.set_os_product("Windows Server 2025 Datacenter");
      break;
    default:
      break;
  }
  facts.set_os_build(OsBuildFromVersion(facts.os_version()));
  facts.set_os_family(family);
  const bool downlevel = UsesUnifiedAgentInstaller(family);
  facts.set_sensor_installed(!downlevel);
  facts.set_sense_state(downlevel ? v1::SERVICE_STATE_ABSENT
                                  : v1::SERVICE_STATE_STOPPED);
  facts.set_onboarding_state(-1);
  return facts;
}

PlanInputs InputsFor(const std::string& kind) {
  PlanInputs inputs;
  inputs.kind = kind;
  inputs.install_script = ArtifactRef{std::string(64, 'a'), "Install.ps1"};
  inputs.installer_msi = ArtifactRef{std::string(64, 'b'), "md4ws.msi"};
  inputs.onboarding_script = ArtifactRef{
      std::string(64, 'c'), "WindowsDefenderATPOnboardingScript.cmd"};
  inputs.offboarding_script =
      ArtifactRef{std::string(64, 'd'), kOffboardingName};
  if (kind == "migrate_mma") inputs.workspace_id = kWorkspace;
  if (kind == "configure_proxy") {
    // The three proxies agreeing: no plan warning.
    inputs.proxy.set_edr_proxy(kProxy);
    inputs.proxy.set_av_proxy(std::string("http://") + kProxy);
    inputs.proxy.set_winhttp(v1::WINHTTP_PROXY_SET);
  }
  if (kind == "connectivity_test") inputs.urls = {kUrl1, kUrl2};
  if (kind == "collect_diagnostics") {
    inputs.client_analyzer =
        ArtifactRef{std::string(64, 'e'), "MDEClientAnalyzer.zip"};
  }
  return inputs;
}

std::string FamilyParamName(
    const ::testing::TestParamInfo<v1::OsFamily>& info) {
  return "ws" + OsFamilyName(info.param);
}

std::vector<std::string> StepNames(const v1::Plan& plan) {
  std::vector<std::string> names;
  for (const v1::PlannedStep& step : plan.steps()) names.push_back(step.name());
  return names;
}

const v1::PlannedStep& Step(const v1::Plan& plan, const std::string& name) {
  for (const v1::PlannedStep& step : plan.steps()) {
    if (step.name() == name) return step;
  }
  ADD_FAILURE() << "no step " << name << " in plan:\n" << plan.DebugString();
  return v1::PlannedStep::default_instance();
}

bool HasStep(const v1::Plan& plan, const std::string& name) {
  for (const v1::PlannedStep& step : plan.steps()) {
    if (step.name() == name) return true;
  }
  return false;
}

}  // namespace mdefleet::testing

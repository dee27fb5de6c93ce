// ConfigTestEnv on Linux: a simulated Windows Server 2019.
#include <utility>

#include "gtest/gtest.h"
#include "runner/host/sim/sim_profile.h"
#include "runner/host/sim/simulated_host.h"
#include "tests/runner/service/service_test_support.h"

namespace mdefleet::runner::testing {

ConfigTestEnv MakeConfigTestEnv(const std::string& scratch_dir) {
  ConfigTestEnv env;
  auto profile = sim::ParseSimProfile("ws2019");
  EXPECT_TRUE(profile.ok()) << profile.status();
  sim::SimulatedHostOptions o;
  o.root_dir = scratch_dir;
  o.profile = *profile;
  o.hostname = "SIM-SVC-0001";
  o.installer_delay = absl::ZeroDuration();
  o.script_delay = absl::ZeroDuration();
  auto host = sim::SimulatedHost::Create(std::move(o));
  EXPECT_TRUE(host.ok()) << host.status();
  if (host.ok()) env.host = *std::move(host);
  // The simulated machine is private to the test: use the real names.
  env.policy_key = kRunnerPolicyKey;
  env.config_file = kDefaultRunnerConfigFile;
  env.files_dir = "C:\\ProgramData\\mdefleet";
  return env;
}

void CleanUpConfigTestEnv(ConfigTestEnv& env) { env.host.reset(); }

}  // namespace mdefleet::runner::testing

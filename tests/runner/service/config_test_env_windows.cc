// ConfigTestEnv on Windows (Wine): the real registry and file system through
// WindowsHost, under names private to this test process.
#include <windows.h>

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/service/service_test_support.h"

namespace mdefleet::runner::testing {

namespace {
constexpr char kTestKeyRoot[] = "SOFTWARE\\mdefleet-test";
}  // namespace

ConfigTestEnv MakeConfigTestEnv(const std::string& scratch_dir) {
  static std::atomic<int> counter{0};
  ConfigTestEnv env;
  win::WindowsHostOptions o;
  o.state_directory = absl::StrCat(scratch_dir, "\\state");
  o.reboot_dry_run = true;
  auto host = win::WindowsHost::Create(std::move(o));
  EXPECT_TRUE(host.ok()) << host.status();
  if (host.ok()) env.host = *std::move(host);
  env.policy_key =
      absl::StrCat(kTestKeyRoot, "\\Runner-", ::GetCurrentProcessId(), "-",
                   counter.fetch_add(1));
  env.config_file = absl::StrCat(scratch_dir, "\\runner.conf");
  env.files_dir = absl::StrCat(scratch_dir, "\\files");
  env.sources.policy_key_for_test = env.policy_key;
  env.sources.config_file = env.config_file;
  return env;
}

void CleanUpConfigTestEnv(ConfigTestEnv& env) {
  if (env.host != nullptr) {
    EXPECT_TRUE(env.host->DeleteKey(env.policy_key).ok());
    auto left = env.host->ListSubkeys(kTestKeyRoot);
    if (left.ok() && left->empty()) {
      EXPECT_TRUE(env.host->DeleteKey(kTestKeyRoot).ok());
    }
    env.host.reset();
  }
}

}  // namespace mdefleet::runner::testing

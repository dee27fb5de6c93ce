// Helpers for the runner service tests: a simulated Windows Server to hold
// registry values and files, and a Host decorator that makes chosen reads
// fail.
#ifndef MDEFLEET_TESTS_RUNNER_SERVICE_SERVICE_TEST_SUPPORT_H_
#define MDEFLEET_TESTS_RUNNER_SERVICE_SERVICE_TEST_SUPPORT_H_

#include <memory>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "runner/host/host.h"
#include "runner/service/runner_config.h"

namespace mdefleet::runner::testing {

// Where the configuration tests keep their registry values and files. The
// build picks the implementation: on Linux a SimulatedHost holding the real
// policy key and C:\\ProgramData\\mdefleet\\runner.conf
// (config_test_env_sim.cc); on Windows (Wine) WindowsHost over the real
// registry, with a test-unique key instead of the policy key and files in a
// scratch directory (config_test_env_windows.cc).
struct ConfigTestEnv {
  std::unique_ptr<Host> host;
  // Registry key (under HKLM) standing for the policy key.
  std::string policy_key;
  // Windows path standing for runner.conf.
  std::string config_file;
  // Windows directory for other files (CA certificates).
  std::string files_dir;
  // What LoadRunnerConfig must be given to look at the above.
  RunnerConfigSources sources;
};

// A fresh environment using `scratch_dir` (a directory of this platform).
ConfigTestEnv MakeConfigTestEnv(const std::string& scratch_dir);

// Removes what MakeConfigTestEnv left outside `scratch_dir` (the test key).
void CleanUpConfigTestEnv(ConfigTestEnv& env);

// Forwards to another Host, except that reading a registry value named in
// `failing_values`, a file named in `failing_files`, or (when set) any key
// existence check fails with `error`.
class FailingHost : public Host {
 public:
  explicit FailingHost(Host& inner) : inner_(inner) {}

  std::set<std::string> failing_values;
  std::set<std::string> failing_files;
  bool fail_key_exists = false;
  absl::Status error = absl::PermissionDeniedError("access denied (test)");

  absl::StatusOr<std::optional<RegistryData>> ReadValue(
      absl::string_view key, absl::string_view name) override {
    if (failing_values.count(std::string(name)) > 0) return error;
    return inner_.ReadValue(key, name);
  }
  absl::Status WriteValue(absl::string_view key, absl::string_view name,
                          const RegistryData& data) override {
    return inner_.WriteValue(key, name, data);
  }
  absl::Status DeleteValue(absl::string_view key,
                           absl::string_view name) override {
    return inner_.DeleteValue(key, name);
  }
  absl::StatusOr<bool> KeyExists(absl::string_view key) override {
    if (fail_key_exists) return error;
    return inner_.KeyExists(key);
  }
  absl::StatusOr<std::vector<std::string>> ListSubkeys(
      absl::string_view key) override {
    return inner_.ListSubkeys(key);
  }
  absl::Status DeleteKey(absl::string_view key) override {
    return inner_.DeleteKey(key);
  }
  absl::StatusOr<v1::ServiceState> QueryService(
      absl::string_view name) override {
    return inner_.QueryService(name);
  }
  absl::StatusOr<v1::ServiceState> WaitServiceState(
      absl::string_view name, v1::ServiceState state,
      absl::Duration timeout) override {
    return inner_.WaitServiceState(name, state, timeout);
  }
  absl::StatusOr<ProcessResult> RunProcess(
      const ProcessRequest& request) override {
    return inner_.RunProcess(request);
  }
  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    if (failing_files.count(std::string(path)) > 0) return error;
    return inner_.ReadFile(path);
  }
  absl::Status WriteFile(absl::string_view path,
                         absl::string_view content) override {
    return inner_.WriteFile(path, content);
  }
  absl::StatusOr<std::vector<std::string>> ListDirectory(
      absl::string_view path) override {
    return inner_.ListDirectory(path);
  }
  absl::Status ExtractZip(absl::string_view archive,
                          absl::string_view destination) override {
    return inner_.ExtractZip(archive, destination);
  }
  absl::Status CreateDirectories(absl::string_view path) override {
    return inner_.CreateDirectories(path);
  }
  absl::Status DeleteDirectoryContents(absl::string_view path) override {
    return inner_.DeleteDirectoryContents(path);
  }
  absl::Status DeletePath(absl::string_view path) override {
    return inner_.DeletePath(path);
  }
  absl::StatusOr<bool> FileExists(absl::string_view path) override {
    return inner_.FileExists(path);
  }
  absl::Status CheckUrl(absl::string_view url,
                        absl::string_view proxy) override {
    return inner_.CheckUrl(url, proxy);
  }
  absl::StatusOr<WinHttpProxy> GetWinHttpProxy() override {
    return inner_.GetWinHttpProxy();
  }
  absl::StatusOr<std::string> DiscoverProxy(absl::string_view url) override {
    return inner_.DiscoverProxy(url);
  }
  absl::StatusOr<std::optional<DefenderStatus>> GetDefenderStatus() override {
    return inner_.GetDefenderStatus();
  }

  absl::StatusOr<OsInfo> GetOsInfo() override { return inner_.GetOsInfo(); }
  absl::Status Reboot(absl::string_view reason, absl::Duration delay) override {
    return inner_.Reboot(reason, delay);
  }
  absl::StatusOr<std::string> ProtectSecret(
      absl::string_view plaintext) override {
    return inner_.ProtectSecret(plaintext);
  }
  absl::StatusOr<std::string> UnprotectSecret(
      absl::string_view protected_data) override {
    return inner_.UnprotectSecret(protected_data);
  }
  std::string StateDirectory() const override {
    return inner_.StateDirectory();
  }

 private:
  Host& inner_;
};

}  // namespace mdefleet::runner::testing

#endif  // MDEFLEET_TESTS_RUNNER_SERVICE_SERVICE_TEST_SUPPORT_H_

// The Windows runner's configuration: where the server is, how to enroll, the
// device's labels and a few tunables. It comes from exactly one place:
//
//  (a) Group Policy: the values under HKLM\SOFTWARE\Policies\mdefleet\Runner,
//      written by the "mdefleet" administrative template
//      (deploy/gpo/mdefleet.admx), read through the Host interface; or, when
//      that key holds none of the settings (absent, or emptied by Group
//      Policy after the GPO was unlinked),
//  (b) a configuration file (default C:\ProgramData\mdefleet\runner.conf) of
//      "Name = value" lines using the same setting names, for machines that
//      are not managed by Group Policy.
//
// A missing required setting, a value of the wrong type or out of range, or a
// setting that cannot be read is refused with an error that names the setting
// and where it came from; the runner does not start on a partial
// configuration. The enrollment secret is never part of an error message or
// of DescribeRunnerConfig().
//
// Platform-neutral: builds and is tested on Linux against SimulatedHost.
#ifndef MDEFLEET_RUNNER_SERVICE_RUNNER_CONFIG_H_
#define MDEFLEET_RUNNER_SERVICE_RUNNER_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// The Group Policy key (under HKEY_LOCAL_MACHINE) the ADMX template writes.
inline constexpr char kRunnerPolicyKey[] =
    "SOFTWARE\\Policies\\mdefleet\\Runner";
// The configuration file used when the policy key does not exist.
inline constexpr char kDefaultRunnerConfigFile[] =
    "C:\\ProgramData\\mdefleet\\runner.conf";
// The state directory when StateDirectory is not set.
inline constexpr char kDefaultRunnerStateDirectory[] =
    "C:\\ProgramData\\mdefleet\\state";

// Setting (registry value and file key) names. They are the contract with
// deploy/gpo/mdefleet.admx; a test checks the two agree.
inline constexpr char kSettingServerAddress[] = "ServerAddress";
inline constexpr char kSettingCaCertificatePath[] = "CaCertificatePath";
inline constexpr char kSettingEnrollmentSecret[] = "EnrollmentSecret";
inline constexpr char kSettingLabels[] = "Labels";
inline constexpr char kSettingPollWaitSeconds[] = "PollWaitSeconds";
inline constexpr char kSettingMaxBackoffSeconds[] = "MaxBackoffSeconds";
inline constexpr char kSettingStateDirectory[] = "StateDirectory";
inline constexpr char kSettingDefenderTlsRoots[] = "DefenderTlsRoots";

// How a setting is stored: REG_SZ (text in the file) or REG_DWORD (decimal
// text in the file).
enum class RunnerSettingType { kString, kDword };

// One configuration setting, for validation, documentation and the
// ADMX consistency test.
struct RunnerSettingSpec {
  const char* name;
  RunnerSettingType type;
  bool required;
  bool secret;  // never echoed in messages
  // Inclusive range, for kDword settings.
  uint32_t min_value;
  uint32_t max_value;
  const char* description;
};

// Every setting the runner reads, in documentation order.
const std::vector<RunnerSettingSpec>& RunnerSettingSpecs();

// Where a RunnerConfig came from.
enum class RunnerConfigSource { kGroupPolicy, kConfigFile };

// A validated configuration.
struct RunnerConfig {
  // "host:port" or "[v6addr]:port".
  std::string server_address;
  // Absolute Windows path of the PEM CA bundle that signs the server's
  // certificate; empty when not set. When set, the file was read and
  // ca_certificate_pem holds its content.
  std::string ca_certificate_path;
  std::string ca_certificate_pem;
  // Secret: never logged, never in messages. Starts with "mdf_enroll_".
  std::string enrollment_secret;
  // Labels jobs can target with label:k=v.
  std::map<std::string, std::string> labels;
  absl::Duration poll_wait = absl::Seconds(30);
  absl::Duration max_backoff = absl::Seconds(30);
  // Absolute Windows path; identity, journal, work directories and the log.
  std::string state_directory = kDefaultRunnerStateDirectory;
  // Roots (SHA-1, upper-case hex) connectivity checks accept besides the
  // public roots Microsoft's endpoints use (runner/host/defender_tls_roots.h):
  // a TLS-inspecting proxy's root is refused unless listed here.
  std::vector<std::string> defender_tls_roots;

  RunnerConfigSource source = RunnerConfigSource::kConfigFile;
  // "Group Policy (HKLM\\SOFTWARE\\Policies\\mdefleet\\Runner)" or the file.
  std::string source_description;
};

// Where LoadRunnerConfig looks.
struct RunnerConfigSources {
  // Windows path of the fallback configuration file.
  std::string config_file = kDefaultRunnerConfigFile;
  // Registry key (under HKLM) read instead of kRunnerPolicyKey, so a test can
  // use the real registry without touching the real policy. Empty: the real
  // policy key. Group Policy always writes kRunnerPolicyKey.
  std::string policy_key_for_test;
};

// Loads the configuration: from Group Policy when the policy key holds at
// least one setting (the file is then ignored), else from the configuration
// file. Errors:
//  - NotFound: no setting under the policy key and no file;
//  - InvalidArgument: a required setting is missing, or a setting has the
//    wrong type, an invalid value or is out of range (every problem is
//    listed, each naming the setting and its source);
//  - the host's code (e.g. PermissionDenied) when a setting, the file or the
//    CA certificate cannot be read.
[[nodiscard]] absl::StatusOr<RunnerConfig> LoadRunnerConfig(
    Host& host, const RunnerConfigSources& sources = {});

// Parses the text of a configuration file (`file_name` is used in messages
// only). Reads the CA certificate, when set, through `host`. Errors as for
// LoadRunnerConfig.
[[nodiscard]] absl::StatusOr<RunnerConfig> ParseRunnerConfigFile(
    Host& host, absl::string_view file_name, absl::string_view content);

// A one-line summary for the log, without the enrollment secret:
// "from Group Policy (...): server a:1, labels site=tokyo, poll wait 30s, ...".
std::string DescribeRunnerConfig(const RunnerConfig& config);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_SERVICE_RUNNER_CONFIG_H_

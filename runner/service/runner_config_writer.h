// `mdefleet-runner.exe configure`: writes runner.conf (and the server's CA
// certificate beside it) for a machine not configured by Group Policy — what
// the MSI does with its SERVER_ADDRESS, CA_CERT_FILE, ENROLLMENT_SECRET and
// LABELS properties. Everything is validated exactly as the service will
// read it (ParseRunnerConfigFile) before anything is written: bad input
// changes nothing. The enrollment secret is never part of a message.
//
// Platform-neutral: tested on Linux against SimulatedHost.
#ifndef MDEFLEET_RUNNER_SERVICE_RUNNER_CONFIG_WRITER_H_
#define MDEFLEET_RUNNER_SERVICE_RUNNER_CONFIG_WRITER_H_

#include <string>

#include "absl/status/statusor.h"
#include "runner/host/host.h"
#include "runner/service/runner_config.h"

namespace mdefleet::runner {

// "" for a value: keep what runner.conf has (the MSI passes every property,
// empty when not given). The result must still be a complete configuration.
struct RunnerConfigValues {
  std::string server_address;
  std::string ca_certificate_file;  // Windows path of a PEM file
  std::string enrollment_secret;    // secret
  std::string labels;               // "k=v,k=v"
};

// Writes `config_file` (e.g. C:\ProgramData\mdefleet\runner.conf): the
// given values replace those lines, other lines (StateDirectory, ...) are
// kept. A CA file given is copied to ca.pem beside it (the file the
// configuration then names, so the MSI's source path may go away). The
// folder must already have its SYSTEM/Administrators-only DACL (WindowsHost
// gives it one). Returns the configuration as the service will read it.
[[nodiscard]] absl::StatusOr<RunnerConfig> WriteRunnerConfig(
    Host& host, const std::string& config_file,
    const RunnerConfigValues& values);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_SERVICE_RUNNER_CONFIG_WRITER_H_

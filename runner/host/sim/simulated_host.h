// SimulatedHost: a Host that is a faithful model of one Windows Server, for
// tests, demos and load simulation on Linux. Registry and services are in
// memory (and saved under the root directory so the machine survives a runner
// restart); files live in a real directory ("C:\\x" -> "<root>/C/x"); programs
// are modelled by runner/host/sim/sim_programs.h.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIMULATED_HOST_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIMULATED_HOST_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "runner/host/host.h"
#include "runner/host/sim/sim_files.h"
#include "runner/host/sim/sim_machine.h"
#include "runner/host/sim/sim_profile.h"

namespace mdefleet::runner::sim {

struct SimulatedHostOptions {
  // Linux directory holding the simulated disks and the machine state file.
  std::string root_dir;
  SimProfile profile;
  std::string hostname;
  std::string domain = "corp.contoso.com";
  // Simulated run time of Install.ps1 and of the .cmd scripts (each varies
  // by +-jitter), so progress is visible. Zero in tests.
  absl::Duration installer_delay = absl::Milliseconds(800);
  absl::Duration script_delay = absl::Milliseconds(300);
  // How long a started service (Sense after onboarding, at boot) stays
  // START_PENDING before it runs; a profile's sensestart=N overrides it for
  // Sense. Zero in tests that do not wait.
  absl::Duration service_start_time = absl::ZeroDuration();
  double jitter = 0.25;
  uint32_t seed = 1;
  Clock* clock = Clock::Real();
};

class SimulatedHost : public Host {
 public:
  // Creates the host. When <root_dir>/sim-machine.state exists the machine is
  // loaded from it (a restarted runner sees the server as it left it) and the
  // profile only matters for a fresh machine.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SimulatedHost>> Create(
      SimulatedHostOptions options);

  // Host:
  [[nodiscard]] absl::StatusOr<std::optional<RegistryData>> ReadValue(
      absl::string_view key, absl::string_view name) override;
  [[nodiscard]] absl::Status WriteValue(absl::string_view key,
                                        absl::string_view name,
                                        const RegistryData& data) override;
  [[nodiscard]] absl::Status DeleteValue(absl::string_view key,
                                         absl::string_view name) override;
  [[nodiscard]] absl::StatusOr<bool> KeyExists(absl::string_view key) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ListSubkeys(
      absl::string_view key) override;
  [[nodiscard]] absl::Status DeleteKey(absl::string_view key) override;
  [[nodiscard]] absl::StatusOr<v1::ServiceState> QueryService(
      absl::string_view name) override;
  [[nodiscard]] absl::StatusOr<v1::ServiceState> WaitServiceState(
      absl::string_view name, v1::ServiceState state,
      absl::Duration timeout) override;
  [[nodiscard]] absl::StatusOr<ProcessResult> RunProcess(
      const ProcessRequest& request) override;
  [[nodiscard]] absl::StatusOr<std::string> ReadFile(
      absl::string_view path) override;
  [[nodiscard]] absl::Status WriteFile(absl::string_view path,
                                       absl::string_view content) override;
  [[nodiscard]] absl::Status CreateDirectories(absl::string_view path) override;
  [[nodiscard]] absl::Status DeleteDirectoryContents(
      absl::string_view path) override;
  [[nodiscard]] absl::Status DeletePath(absl::string_view path) override;
  [[nodiscard]] absl::StatusOr<bool> FileExists(
      absl::string_view path) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ListDirectory(
      absl::string_view path) override;
  [[nodiscard]] absl::Status ExtractZip(absl::string_view archive,
                                        absl::string_view destination) override;
  [[nodiscard]] absl::Status CheckUrl(absl::string_view url,
                                      absl::string_view proxy) override;
  [[nodiscard]] absl::StatusOr<WinHttpProxy> GetWinHttpProxy() override;
  [[nodiscard]] absl::StatusOr<std::string> DiscoverProxy(
      absl::string_view url) override;
  [[nodiscard]] absl::StatusOr<std::optional<DefenderStatus>>
  GetDefenderStatus() override;
  [[nodiscard]] absl::StatusOr<OsInfo> GetOsInfo() override;
  [[nodiscard]] absl::Status Reboot(absl::string_view reason,
                                    absl::Duration delay) override;
  [[nodiscard]] absl::StatusOr<std::string> ProtectSecret(
      absl::string_view plaintext) override;
  [[nodiscard]] absl::StatusOr<std::string> UnprotectSecret(
      absl::string_view protected_data) override;
  std::string StateDirectory() const override;

  // ---- Inspection (the model's own facts, not part of Host) ----

  // How many times `program` was started with exactly `args` (also counts
  // runs that failed or timed out), across restarts of this machine.
  int ExecutionCount(absl::string_view program,
                     const std::vector<std::string>& args) const;
  // When each of those starts happened, oldest first.
  std::vector<absl::Time> ExecutionTimes(
      absl::string_view program, const std::vector<std::string>& args) const;
  // Total program starts.
  int TotalExecutions() const;
  // Reboots requested, oldest first.
  std::vector<RebootRecord> Reboots() const;
  // Installs or removes a service / sets its state (e.g. a GPO starting it).
  void SetServiceState(absl::string_view name, v1::ServiceState state);
  // Linux path backing Windows path `path`.
  [[nodiscard]] absl::StatusOr<std::string> LinuxPath(
      absl::string_view path) const;
  const SimProfile& profile() const { return profile_; }

 private:
  SimulatedHost(SimulatedHostOptions options, SimMachine machine);
  // Writes the machine state file. Must hold mu_.
  [[nodiscard]] absl::Status SaveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Brings the machine to the clock's now: services whose start is due run.
  void TickLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string SecretKey() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Duration DelayFor(const ProcessRequest& request);

  const SimulatedHostOptions options_;
  const SimProfile profile_;
  const SimFiles files_;
  mutable absl::Mutex mu_;
  SimMachine machine_ ABSL_GUARDED_BY(mu_);
  std::mt19937 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIMULATED_HOST_H_

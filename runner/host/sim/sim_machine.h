// The mutable state of one simulated Windows Server (registry, services,
// boot facts, reboot requests, program execution counts) and how a profile
// initialises it. Saved to and loaded from a file so the machine survives a
// runner restart, as a real server would.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_MACHINE_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_MACHINE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/types.pb.h"
#include "runner/host/sim/sim_profile.h"
#include "runner/host/sim/sim_registry.h"

namespace mdefleet::runner::sim {

// Registry locations the OS itself keeps (beyond common/mde_constants.h).
inline constexpr absl::string_view kCurrentVersionKey =
    "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";
inline constexpr absl::string_view kTcpipParametersKey =
    "SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters";
inline constexpr absl::string_view kHealthServiceKey =
    "SYSTEM\\CurrentControlSet\\Services\\HealthService";
inline constexpr absl::string_view kThirdPartyAvService = "CSFalconService";

// A reboot the runner asked for.
struct RebootRecord {
  std::string reason;
  absl::Duration delay;
  absl::Time requested_at;
};

struct SimMachine {
  SimProfile profile;
  SimRegistry registry;
  // Installed services by lowercase name: (original name, state).
  std::map<std::string, std::pair<std::string, v1::ServiceState>> services;
  absl::Time boot_time;
  std::vector<RebootRecord> reboots;
  // Start times of program executions by ExecutionKey(program, args).
  std::map<std::string, std::vector<absl::Time>> executions;
  uint64_t random_state = 0;  // deterministic GUIDs for senseGuid
  // The system WinHTTP proxy (`netsh winhttp set proxy`); "" direct access.
  // Windows keeps it as binary WinHttpSettings, which SimRegistry cannot
  // hold, so it is a field of its own.
  std::string winhttp_proxy;
  std::string winhttp_bypass;
  // Services started but not yet running (START_PENDING), by lowercase
  // name: when each reaches RUNNING. A real service takes seconds (Sense
  // more), which the plans' waits must cover.
  std::map<std::string, absl::Time> starting;

  // Not saved: the host's clock at the current call and how long a started
  // service takes to run, set by SimulatedHost before it lets a program
  // change the machine.
  absl::Time now = absl::InfinitePast();
  absl::Duration service_start_time = absl::ZeroDuration();

  // Service helpers (names case-insensitive). SetService and RemoveService
  // cancel a pending start.
  v1::ServiceState ServiceState(absl::string_view name) const;
  void SetService(absl::string_view name, v1::ServiceState state);
  void RemoveService(absl::string_view name);
  // Starts service `name` as the service control manager does: START_PENDING
  // until now + service_start_time (the profile's sensestart for Sense),
  // then RUNNING; at once when that time is zero.
  void StartService(absl::string_view name);
  // Services whose start is due at `at` become RUNNING.
  void SettleServices(absl::Time at);

  // OS facts from the registry, as Windows keeps them.
  std::string Hostname() const;
  std::string Domain() const;
  bool RebootPending() const;

  // A fresh GUID (deterministic from random_state).
  std::string NewGuid();
  // A Defender machine id (senseId): 40 lowercase hex characters.
  std::string NewMachineId();
};

// The release a simulated machine of an OS family runs: product name and
// version (major.minor.build, update build revision).
struct OsRelease {
  v1::OsFamily family;
  absl::string_view product;
  uint32_t major, minor, build, ubr;
};
// nullptr for a family the simulator has no release of.
const OsRelease* FindOsRelease(v1::OsFamily family);

// Key for SimMachine::executions: program and args joined with '\x1f'.
std::string ExecutionKey(absl::string_view program,
                         const std::vector<std::string>& args);

// A machine as the profile describes it: OS registry (product, build,
// hostname, MachineGuid), services (WinDefend, Sense, HealthService, AV),
// MDE state, MMA workspaces, pending reboot markers.
SimMachine MakeMachine(const SimProfile& profile, absl::string_view hostname,
                       absl::string_view domain, absl::Time boot_time);

// Text serialisation (one record per line, fields base64-encoded).
std::string SerializeMachine(const SimMachine& machine);
[[nodiscard]] absl::StatusOr<SimMachine> ParseMachine(absl::string_view text);

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_MACHINE_H_

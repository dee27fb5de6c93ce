#include "runner/simulator/sim_devices.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/os_family.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "runner/client/openssl_client_key.h"
#include "runner/host/sim/sim_profile.h"

namespace mdefleet::runner {
namespace {

// The server `hostname` with its disks under `root`.
[[nodiscard]] absl::StatusOr<SimDevice> MakeSimDevice(
    const SimRunnerFlags& f, const SimRunnerSetup& setup,
    const std::string& root, const std::string& hostname,
    const sim::SimProfile& profile, std::map<std::string, std::string> labels,
    uint32_t seed) {
  sim::SimulatedHostOptions o;
  o.root_dir = root;
  o.profile = profile;
  o.hostname = hostname;
  o.installer_delay = absl::Milliseconds(f.sim_delay_ms);
  o.script_delay = absl::Milliseconds(f.sim_delay_ms) * 3 / 8;
  // Sense takes a few seconds to run after onboarding: 2 s by default, less
  // with a shorter delay; a long --sim-delay-ms (slow installs for a test)
  // does not make it longer.
  o.service_start_time =
      std::min(absl::Milliseconds(f.sim_delay_ms) * 5 / 2, absl::Seconds(2));
  o.seed = seed;
  auto host = sim::SimulatedHost::Create(std::move(o));
  if (!host.ok()) return host.status();
  RunnerAgentOptions a;
  a.server_address = f.server;
  a.ca_cert_pem = setup.ca_cert_pem;
  a.make_client_key = MakeOpenSslClientKey;
  a.certificate_validity = ReadOpenSslCertificateValidity;
  a.enrollment_secret = setup.enrollment_secret;
  a.labels = std::move(labels);
  a.poll_wait = setup.poll_wait;
  a.seed = seed;
  // A simulated restart takes as long as a simulated Install.ps1 run.
  a.simulated_restart = absl::Milliseconds(f.sim_delay_ms);
  SimDevice d;
  d.host = *std::move(host);
  d.agent = std::make_unique<RunnerAgent>(*d.host, std::move(a));
  return d;
}

// --simulate: one server in the state directory.
[[nodiscard]] absl::StatusOr<SimDevice> MakeSingleSimDevice(
    const SimRunnerFlags& f, const SimRunnerSetup& setup) {
  ASSIGN_OR_RETURN(const sim::SimProfile profile,
                   sim::ParseSimProfile(f.simulate));
  // A stable host name per state directory, so several single-server
  // runners on one machine are distinct devices.
  uint32_t number = 0;
  if (!absl::SimpleHexAtoi(Sha256Hex(setup.state_dir).substr(0, 6), &number)) {
    number = 0;
  }
  const std::string hostname = absl::StrFormat(
      "SIM-%s-%04d", absl::AsciiStrToUpper(OsFamilyName(profile.os)),
      number % 10000);
  return MakeSimDevice(f, setup, setup.state_dir, hostname, profile,
                       setup.labels, number);
}

// --simulate-fleet: servers number --fleet-first on, each in a directory
// named after it; --labels add to (and override) each member's own.
[[nodiscard]] absl::StatusOr<std::vector<SimDevice>> MakeSimFleet(
    const SimRunnerFlags& f, const SimRunnerSetup& setup) {
  std::vector<SimDevice> devices;
  for (int i = f.fleet_first; i < f.fleet_first + f.simulate_fleet; ++i) {
    sim::FleetMember m = sim::FleetMemberAt(i, f.fleet_seed);
    m.profile.onboarded = m.profile.onboarded || f.fleet_onboarded;
    std::map<std::string, std::string> device_labels = m.labels;
    for (const auto& [k, v] : setup.labels) device_labels[k] = v;
    ASSIGN_OR_RETURN(
        SimDevice device,
        MakeSimDevice(f, setup, absl::StrCat(setup.state_dir, "/", m.hostname),
                      m.hostname, m.profile, device_labels,
                      static_cast<uint32_t>(i + 1)));
    devices.push_back(std::move(device));
  }
  return devices;
}

}  // namespace

absl::StatusOr<std::vector<SimDevice>> MakeSimDevices(
    const SimRunnerFlags& flags, const SimRunnerSetup& setup) {
  if (flags.simulate.empty()) return MakeSimFleet(flags, setup);
  ASSIGN_OR_RETURN(SimDevice device, MakeSingleSimDevice(flags, setup));
  std::vector<SimDevice> devices;
  devices.push_back(std::move(device));
  return devices;
}

}  // namespace mdefleet::runner

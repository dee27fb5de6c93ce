// mdefleet-sim-runner: the runner's agent (runner/client) on simulated
// Windows Servers (runner/host/sim), for the demo, the end-to-end tests and
// the benchmarks on Linux. The runner that goes to Windows Servers is the
// service (runner/service/windows/runner_service_main.cc).
//
//   mdefleet-sim-runner --server HOST:PORT [--ca-cert FILE]
//   (--enrollment-secret S
//       | --enrollment-secret-file PATH) --state-dir DIR [--labels k=v,k=v]
//       [--poll-wait 30s] (--simulate PROFILE | --simulate-fleet N
//       [--fleet-seed N] [--fleet-first N]) [--sim-delay-ms N]
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/duration_text.h"
#include "common/labels.h"
#include "common/os_family.h"
#include "common/sha256.h"
#include "common/tls/address.h"
#include "common/tls/pem.h"
#include "runner/client/log.h"
#include "runner/client/openssl_client_key.h"
#include "runner/client/runner_agent.h"
#include "runner/host/sim/sim_profile.h"
#include "runner/host/sim/simulated_host.h"

namespace mdefleet::runner {
namespace {

struct Flags {
  std::string server;
  std::string ca_cert;
  std::string enrollment_secret;
  std::string enrollment_secret_file;
  std::string state_dir;
  std::string labels;
  std::string poll_wait = "30s";
  std::string simulate;
  int simulate_fleet = 0;
  int fleet_seed = 0;
  int fleet_first = 0;
  bool fleet_onboarded = false;
  int sim_delay_ms = 800;
};

[[nodiscard]] absl::StatusOr<std::string> ReadSecret(const Flags& f) {
  if (!f.enrollment_secret.empty()) return f.enrollment_secret;
  std::ifstream in(f.enrollment_secret_file, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "--enrollment-secret-file: cannot read ", f.enrollment_secret_file));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string secret(absl::StripAsciiWhitespace(ss.str()));
  if (secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--enrollment-secret-file: ", f.enrollment_secret_file, " is empty"));
  }
  return secret;
}

// The PEM of --ca-cert ("" without it). Without it the server must be on
// loopback: the enrollment secret and device token must not cross the
// network in clear.
[[nodiscard]] absl::StatusOr<std::string> ReadCaCert(const Flags& f) {
  if (f.ca_cert.empty()) {
    if (!tls::IsLocalAddress(f.server)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--server ", f.server,
          " is not a loopback address: pass --ca-cert with the server's CA "
          "certificate (ca.pem from mdefleet-server init); the enrollment "
          "secret and device token must not cross the network in plaintext"));
    }
    return std::string();
  }
  std::ifstream in(f.ca_cert, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--ca-cert: cannot read ", f.ca_cert));
  }
  std::stringstream pem;
  pem << in.rdbuf();
  absl::Status parsed =
      tls::ParseCertificatePem(pem.str(), "--ca-cert").status();
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(parsed.message(), " in ", f.ca_cert));
  }
  return pem.str();
}

// One simulated server and its agent.
struct Device {
  std::unique_ptr<sim::SimulatedHost> host;
  std::unique_ptr<RunnerAgent> agent;
};

[[nodiscard]] absl::StatusOr<Device> MakeDevice(
    const Flags& f, const std::string& root, const std::string& hostname,
    const sim::SimProfile& profile, std::map<std::string, std::string> labels,
    const std::string& secret, const std::string& ca_cert_pem,
    absl::Duration poll_wait, uint32_t seed) {
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
  a.ca_cert_pem = ca_cert_pem;
  a.make_client_key = MakeOpenSslClientKey;
  a.certificate_validity = ReadOpenSslCertificateValidity;
  a.enrollment_secret = secret;
  a.labels = std::move(labels);
  a.poll_wait = poll_wait;
  a.seed = seed;
  // A simulated restart takes as long as a simulated Install.ps1 run.
  a.simulated_restart = absl::Milliseconds(f.sim_delay_ms);
  Device d;
  d.host = *std::move(host);
  d.agent = std::make_unique<RunnerAgent>(*d.host, std::move(a));
  return d;
}

int Main(int argc, char** argv) {
  Flags f;
  CLI::App app{
      "mdefleet-sim-runner: the mdefleet runner on simulated Windows "
      "Servers"};
  app.add_option("--server", f.server, "mdefleet-server address HOST:PORT")
      ->required();
  app.add_option("--ca-cert", f.ca_cert,
                 "CA certificate (PEM) the server's certificate must be "
                 "issued by (ca.pem from mdefleet-server init); without it "
                 "plaintext, to a loopback server only");
  auto* secret_opt =
      app.add_option("--enrollment-secret", f.enrollment_secret,
                     "runner enrollment secret (mdf_enroll_...)");
  auto* secret_file_opt =
      app.add_option("--enrollment-secret-file", f.enrollment_secret_file,
                     "file holding the enrollment secret");
  secret_opt->excludes(secret_file_opt);
  app.add_option("--state-dir", f.state_dir,
                 "state directory (identity, journal, simulated disks)")
      ->required();
  app.add_option("--labels", f.labels, "labels k=v,k=v (site, ou, role)");
  app.add_option("--poll-wait", f.poll_wait,
                 "long-poll wait, e.g. 30s (the server caps it)");
  auto* sim_opt = app.add_option("--simulate", f.simulate,
                                 "run one simulated server: <os>[+opt...], "
                                 "e.g. ws2016+mma+av");
  auto* fleet_opt = app.add_option("--simulate-fleet", f.simulate_fleet,
                                   "run N simulated servers in one process")
                        ->check(CLI::Range(1, 100000));
  sim_opt->excludes(fleet_opt);
  app.add_option("--fleet-seed", f.fleet_seed, "shifts the fleet mix")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--fleet-first", f.fleet_first,
                 "number of the fleet's first server, so several fleet "
                 "processes have distinct host names")
      ->check(CLI::Range(0, 1000000));
  app.add_flag("--fleet-onboarded", f.fleet_onboarded,
               "every fleet server starts onboarded to MDE (with a Defender "
               "machine id), e.g. to try api_offboard");
  app.add_option("--sim-delay-ms", f.sim_delay_ms,
                 "simulated Install.ps1 run time in ms (scripts: 3/8 of it; "
                 "a started Sense service runs after 5/2 of it, at most 2 s)")
      ->check(CLI::Range(0, 600000));
  CLI11_PARSE(app, argc, argv);

  auto fail = [](absl::string_view message) {
    std::fprintf(stderr, "mdefleet-sim-runner: %s\n",
                 std::string(message).c_str());
    return 2;
  };
  if (f.enrollment_secret.empty() == f.enrollment_secret_file.empty()) {
    return fail(
        "give exactly one of --enrollment-secret or --enrollment-secret-file");
  }
  if (f.simulate.empty() && f.simulate_fleet == 0) {
    return fail(
        "this build has no Windows host; give --simulate PROFILE or "
        "--simulate-fleet N");
  }
  absl::StatusOr<absl::Duration> parsed_wait =
      ParseDurationText(f.poll_wait, "--poll-wait");
  if (!parsed_wait.ok()) return fail(parsed_wait.status().message());
  if (*parsed_wait <= absl::ZeroDuration()) {
    return fail(absl::StrCat("--poll-wait: \"", f.poll_wait,
                             "\" is not a positive duration like 30s"));
  }
  const absl::Duration poll_wait = *parsed_wait;
  auto labels = ParseLabelList(f.labels, "--labels");
  if (!labels.ok()) return fail(labels.status().message());
  auto secret = ReadSecret(f);
  if (!secret.ok()) return fail(secret.status().message());
  auto ca_cert_pem = ReadCaCert(f);
  if (!ca_cert_pem.ok()) return fail(ca_cert_pem.status().message());
  std::error_code ec;
  std::filesystem::create_directories(f.state_dir, ec);
  if (ec) {
    return fail(absl::StrCat("--state-dir: cannot create ", f.state_dir, ": ",
                             ec.message()));
  }
  const std::string state_dir =
      std::filesystem::absolute(f.state_dir).lexically_normal().string();

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<Device> devices;
  if (!f.simulate.empty()) {
    auto profile = sim::ParseSimProfile(f.simulate);
    if (!profile.ok()) return fail(profile.status().message());
    // A stable host name per state directory, so several single-server
    // runners on one machine are distinct devices.
    uint32_t number = 0;
    if (!absl::SimpleHexAtoi(Sha256Hex(state_dir).substr(0, 6), &number)) {
      number = 0;
    }
    const std::string hostname = absl::StrFormat(
        "SIM-%s-%04d", absl::AsciiStrToUpper(OsFamilyName(profile->os)),
        number % 10000);
    auto device = MakeDevice(f, state_dir, hostname, *profile, *labels, *secret,
                             *ca_cert_pem, poll_wait, number);
    if (!device.ok()) return fail(device.status().message());
    devices.push_back(*std::move(device));
  } else {
    for (int i = f.fleet_first; i < f.fleet_first + f.simulate_fleet; ++i) {
      sim::FleetMember m = sim::FleetMemberAt(i, f.fleet_seed);
      m.profile.onboarded = m.profile.onboarded || f.fleet_onboarded;
      std::map<std::string, std::string> device_labels = m.labels;
      for (const auto& [k, v] : *labels) device_labels[k] = v;
      auto device =
          MakeDevice(f, absl::StrCat(state_dir, "/", m.hostname), m.hostname,
                     m.profile, device_labels, *secret, *ca_cert_pem, poll_wait,
                     static_cast<uint32_t>(i + 1));
      if (!device.ok()) return fail(device.status().message());
      devices.push_back(*std::move(device));
    }
  }
  LogLine(absl::StrCat("starting ", devices.size(), " simulated server(s); ",
                       "server ", f.server,
                       f.ca_cert.empty()
                           ? " (plaintext, loopback)"
                           : absl::StrCat(" (TLS, CA ", f.ca_cert, ")"),
                       ", state in ", state_dir));

  std::atomic<bool> all_done{false};
  std::thread signal_thread([&devices, &all_done, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (all_done.load()) return;
    LogLine(absl::StrCat("signal ", sig, ": stopping"));
    for (auto& d : devices) d.agent->Stop();
  });

  std::vector<absl::Status> results(devices.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < devices.size(); ++i) {
    threads.emplace_back([&devices, &results, i] {
      results[i] = devices[i].agent->Run();
      if (!results[i].ok()) {
        LogLine(
            absl::StrCat(devices[i].agent->name(), ": ", results[i].message()));
      }
    });
  }
  for (auto& t : threads) t.join();
  int rc = 0;
  for (const auto& r : results) {
    if (!r.ok()) rc = 1;
  }
  // Every runner ended (error or stop): release the signal thread.
  all_done.store(true);
  kill(getpid(), SIGTERM);  // blocked everywhere: only sigwait sees it
  signal_thread.join();
  return rc;
}

}  // namespace
}  // namespace mdefleet::runner

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Abseil's lock-order cycle check on every Mutex acquisition: debug only.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  return mdefleet::runner::Main(argc, argv);
}

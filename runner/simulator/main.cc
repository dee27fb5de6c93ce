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
//
// The flags: sim_runner_flags.h; the simulated servers: sim_devices.h.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "runner/client/log.h"
#include "runner/simulator/sim_devices.h"
#include "runner/simulator/sim_runner_flags.h"

namespace mdefleet::runner {
namespace {

// What a refused start prints; its exit code.
int FailToStart(absl::string_view message) {
  std::fprintf(stderr, "mdefleet-sim-runner: %s\n",
               std::string(message).c_str());
  return 2;
}

// SIGINT and SIGTERM, blocked in every thread (those made after this call
// too): one thread waits for them.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Runs every agent on a thread of its own until each has ended (an error,
// or a stop: the first of `signals` stops them all). 0 when every agent
// ended without an error, else 1.
int RunAgents(std::vector<SimDevice>& devices, const sigset_t& signals) {
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

int Main(int argc, char** argv) {
  SimRunnerFlags f;
  CLI::App app{
      "mdefleet-sim-runner: the mdefleet runner on simulated Windows "
      "Servers"};
  AddSimRunnerFlags(app, f);
  CLI11_PARSE(app, argc, argv);
  absl::StatusOr<SimRunnerSetup> setup = CheckSimRunnerFlags(f);
  if (!setup.ok()) return FailToStart(setup.status().message());
  const sigset_t signals = BlockStopSignals();
  absl::StatusOr<std::vector<SimDevice>> devices = MakeSimDevices(f, *setup);
  if (!devices.ok()) return FailToStart(devices.status().message());
  LogLine(absl::StrCat("starting ", devices->size(), " simulated server(s); ",
                       "server ", f.server,
                       f.ca_cert.empty()
                           ? " (plaintext, loopback)"
                           : absl::StrCat(" (TLS, CA ", f.ca_cert, ")"),
                       ", state in ", setup->state_dir));
  return RunAgents(*devices, signals);
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

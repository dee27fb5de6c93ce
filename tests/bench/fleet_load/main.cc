// mdefleet-fleet-load: the multiplexed mode of the fleet benchmark. N
// simulated devices share K channels to the server (each call still carries
// its own device's token), driven by asynchronous calls instead of a thread
// and a simulated disk per device, so that 100,000 devices fit on one
// machine and what is measured is the server's scheduler and store. The
// server must accept runners without client certificates (plaintext on
// loopback, or TLS with serve --allow-token-only-runners).
//
//   mdefleet-fleet-load --server HOST:PORT [--ca-cert FILE]
//       --enrollment-secret-file PATH --devices N [--first N] [--channels K]
//       [--enroll-in-flight M] [--poll-wait 30s]
//
// Runs until SIGINT or SIGTERM; prints progress to stderr every 5 s.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/duration_text.h"
#include "grpcpp/grpcpp.h"
#include "tests/bench/fleet_load/load_device.h"
#include "tests/bench/fleet_load/timer_queue.h"

namespace mdefleet::bench {
namespace {

struct Flags {
  std::string server;
  std::string ca_cert;
  std::string enrollment_secret_file;
  int devices = 0;
  int first = 0;
  int channels = 16;
  int enroll_in_flight = 256;
  std::string poll_wait = "30s";
};

std::string ReadFile(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "mdefleet-fleet-load: %s: cannot read %s\n", flag,
                 path.c_str());
    std::exit(2);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Progress(const LoadCounters& c, int devices) {
  std::string errors;
  for (size_t code = 0; code < c.errors.size(); ++code) {
    if (const int64_t n = c.errors[code].load(); n > 0) {
      absl::StrAppend(&errors, errors.empty() ? "" : ",", code, ":", n);
    }
  }
  return absl::StrCat("enrolled ", c.enrolled.load(), "/", devices, ", polls ",
                      c.polls.load(), ", reports ", c.reports.load(),
                      ", tasks done ", c.tasks_done.load(), ", failed calls ",
                      errors.empty() ? "0" : absl::StrCat("{", errors, "}"));
}

int Main(int argc, char** argv) {
  Flags f;
  CLI::App app{
      "mdefleet-fleet-load: N simulated devices on K shared channels "
      "(the fleet benchmark's multiplexed mode)"};
  app.add_option("--server", f.server, "mdefleet-server address HOST:PORT")
      ->required();
  app.add_option("--ca-cert", f.ca_cert,
                 "CA certificate (PEM) of the server's TLS certificate; "
                 "without it plaintext (the server must allow runners "
                 "without client certificates either way)");
  app.add_option("--enrollment-secret-file", f.enrollment_secret_file,
                 "file holding the enrollment secret")
      ->required();
  app.add_option("--devices", f.devices, "simulated devices")
      ->required()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--first", f.first,
                 "number of the first device, so several load processes "
                 "have distinct devices")
      ->check(CLI::Range(0, 10000000));
  app.add_option("--channels", f.channels,
                 "channels (connections) the devices share")
      ->check(CLI::Range(1, 4096));
  app.add_option("--enroll-in-flight", f.enroll_in_flight,
                 "enrollments in flight at once")
      ->check(CLI::Range(1, 100000));
  app.add_option("--poll-wait", f.poll_wait, "long-poll wait, e.g. 30s");
  CLI11_PARSE(app, argc, argv);

  absl::StatusOr<absl::Duration> poll_wait =
      ParseDurationText(f.poll_wait, "--poll-wait");
  if (!poll_wait.ok() || *poll_wait < absl::Seconds(1)) {
    std::fprintf(stderr,
                 "mdefleet-fleet-load: --poll-wait: \"%s\" is not a "
                 "duration of at least 1s\n",
                 f.poll_wait.c_str());
    return 2;
  }
  const std::string secret(absl::StripAsciiWhitespace(
      ReadFile(f.enrollment_secret_file, "--enrollment-secret-file")));
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (!f.ca_cert.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(f.ca_cert, "--ca-cert");
    credentials = grpc::SslCredentials(ssl);
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::shared_ptr<v1::RunnerService::Stub>> stubs;
  for (int i = 0; i < f.channels; ++i) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    // A connection per channel (not one shared by all of them).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stubs.push_back(v1::RunnerService::NewStub(
        grpc::CreateCustomChannel(f.server, credentials, args)));
  }
  TimerQueue timers;
  LoadCounters counters;
  LoadShared shared{.enrollment_secret = secret,
                    .poll_wait = *poll_wait,
                    .timers = &timers,
                    .counters = &counters};
  std::vector<std::unique_ptr<LoadDevice>> devices;
  devices.reserve(f.devices);
  for (int i = 0; i < f.devices; ++i) {
    devices.push_back(std::make_unique<LoadDevice>(
        f.first + i, stubs[i % stubs.size()], shared));
  }
  std::fprintf(stderr,
               "mdefleet-fleet-load: %d devices (from %d) on %d channel(s) "
               "to %s (%s)\n",
               f.devices, f.first, f.channels, f.server.c_str(),
               f.ca_cert.empty() ? "plaintext" : "TLS");

  // A bounded number of enrollments in flight: each one that succeeds
  // starts the next device.
  std::atomic<int> next{0};
  std::function<void()> start_next = [&] {
    const int i = next.fetch_add(1);
    if (i < f.devices) devices[i]->Start(start_next);
  };
  for (int i = 0; i < std::min(f.enroll_in_flight, f.devices); ++i) {
    start_next();
  }

  std::atomic<bool> stop{false};
  std::thread progress([&] {
    absl::Mutex mu;
    absl::MutexLock lock(&mu);
    while (!stop.load()) {
      mu.AwaitWithTimeout(
          absl::Condition(
              +[](std::atomic<bool>* s) { return s->load(); }, &stop),
          absl::Seconds(5));
      std::fprintf(stderr, "mdefleet-fleet-load: %s\n",
                   Progress(counters, f.devices).c_str());
    }
  });
  int sig = 0;
  sigwait(&signals, &sig);
  stop.store(true);
  progress.join();
  // Calls are in flight on every device; the process ends with them rather
  // than cancelling 100,000 calls one by one.
  std::fflush(stderr);
  std::_Exit(0);
}

}  // namespace
}  // namespace mdefleet::bench

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Abseil's lock-order cycle check on every Mutex acquisition: debug only.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  return mdefleet::bench::Main(argc, argv);
}

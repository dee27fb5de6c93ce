#include "runner/service/windows/runner_service_body.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/random_bytes.h"
#include "common/status_macros.h"
#include "common/tls/address.h"
#include "runner/client/backoff.h"
#include "runner/client/log.h"
#include "runner/client/openssl_client_key.h"
#include "runner/client/runner_agent.h"
#include "runner/host/windows/windows_host.h"
#include "runner/host/windows_path.h"
#include "runner/service/runner_status.h"

namespace mdefleet::runner {
namespace {

using service_win::EventLogWriter;
using service_win::LogFile;

constexpr char kLogFileName[] = "mdefleet-runner.log";
constexpr absl::Duration kFirstRetry = absl::Seconds(30);
constexpr absl::Duration kLongestRetry = absl::Minutes(10);

// The service's log file, swapped when the configuration names another
// state directory. LogLine's sink writes here.
absl::Mutex log_mu(absl::kConstInit);
LogFile* log_file ABSL_GUARDED_BY(log_mu) = nullptr;

void WriteToLogFile(absl::string_view line) {
  absl::MutexLock lock(&log_mu);
  if (log_file != nullptr) log_file->Write(line);
}

uint64_t RandomSeed() {
  const std::string bytes = RandomBytes(sizeof(uint64_t));
  uint64_t seed = 0;
  std::memcpy(&seed, bytes.data(), sizeof(seed));
  return seed;
}

EventLogWriter::Severity ToSeverity(RunnerEventSeverity severity) {
  switch (severity) {
    case RunnerEventSeverity::kInformation:
      return EventLogWriter::Severity::kInformation;
    case RunnerEventSeverity::kWarning:
      return EventLogWriter::Severity::kWarning;
    case RunnerEventSeverity::kError:
      break;
  }
  return EventLogWriter::Severity::kError;
}

// Plaintext only to this machine: the enrollment secret and the device token
// must not cross the network in clear.
[[nodiscard]] absl::Status CheckTransport(const RunnerConfig& config) {
  if (!config.ca_certificate_pem.empty() ||
      tls::IsLocalAddress(config.server_address)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "CaCertificatePath is not set (", config.source_description,
      ") and ServerAddress ", config.server_address,
      " is not on this machine: set CaCertificatePath to the server's CA "
      "certificate (ca.pem from mdefleet-server init); the runner does not "
      "send the enrollment secret over plaintext"));
}

}  // namespace

// One configuration's worth of running: its host, status file and agent.
class RunnerServiceBody::Attempt {
 public:
  Attempt(std::unique_ptr<win::WindowsHost> host, const RunnerConfig& config,
          RunnerEventSink events)
      : host_(std::move(host)),
        status_(*host_, config.server_address, std::move(events)) {
    RunnerAgentOptions options;
    options.server_address = config.server_address;
    options.ca_cert_pem = config.ca_certificate_pem;
    if (!config.ca_certificate_pem.empty()) {
      options.make_client_key = MakeOpenSslClientKey;
      options.certificate_validity = ReadOpenSslCertificateValidity;
    }
    options.enrollment_secret = config.enrollment_secret;
    options.labels = config.labels;
    options.poll_wait = config.poll_wait;
    options.max_backoff = config.max_backoff;
    // Per-machine jitter, so a fleet restarted together does not retry in
    // lockstep.
    options.seed = RandomSeed();
    options.observer = &status_;
    agent_ = std::make_unique<RunnerAgent>(*host_, std::move(options));
  }

  absl::Status Run() { return agent_->Run(); }
  void Stop() { agent_->Stop(); }
  void Failed(absl::string_view message) { status_.Failed(message); }

 private:
  std::unique_ptr<win::WindowsHost> host_;
  RunnerStatusFile status_;
  std::unique_ptr<RunnerAgent> agent_;
};

RunnerServiceBody::RunnerServiceBody(RunnerConfigSources sources,
                                     bool service_mode, EventLogWriter* events)
    : sources_(std::move(sources)),
      service_mode_(service_mode),
      events_(events) {}

RunnerServiceBody::~RunnerServiceBody() {
  if (!service_mode_) return;
  SetLogSink(nullptr);
  absl::MutexLock lock(&log_mu);
  delete log_file;
  log_file = nullptr;
}

void RunnerServiceBody::Event(EventLogWriter::Severity severity,
                              const std::string& message) {
  if (events_ != nullptr) {
    events_->Write(severity, absl::StrCat("mdefleet-runner: ", message));
  }
}

void RunnerServiceBody::UseLogFileIn(const std::string& state_directory) {
  if (!service_mode_) return;
  auto opened = LogFile::Open(JoinWindowsPath(state_directory, kLogFileName));
  if (!opened.ok()) {
    Event(EventLogWriter::Severity::kWarning,
          absl::StrCat("no log file in ", state_directory, ": ",
                       opened.status().message()));
    return;
  }
  absl::MutexLock lock(&log_mu);
  delete log_file;
  log_file = opened->release();
}

absl::Status RunnerServiceBody::Prepare() {
  // Everything that can wait for a fix (configuration, server) is retried by
  // Run(); here only what lets the service report and log.
  if (service_mode_) {
    // WindowsHost creates the default state directory with its
    // SYSTEM/Administrators-only DACL.
    win::WindowsHostOptions options;
    options.state_directory = kDefaultRunnerStateDirectory;
    if (auto host = win::WindowsHost::Create(std::move(options)); host.ok()) {
      UseLogFileIn(kDefaultRunnerStateDirectory);
    }
    SetLogSink(WriteToLogFile);
  }
  LogLine(absl::StrCat("mdefleet-runner ", MDEFLEET_RUNNER_VERSION, " (",
                       MDEFLEET_COMMIT, ") starting"));
  return absl::OkStatus();
}

absl::Status RunnerServiceBody::RunOnce() {
  // The data directory holds runner.conf (which may hold the enrollment
  // secret); WindowsHost gives it the SYSTEM/Administrators-only DACL again
  // on every start.
  win::WindowsHostOptions bootstrap_options;
  bootstrap_options.state_directory = WindowsDirName(sources_.config_file);
  ASSIGN_OR_RETURN(std::unique_ptr<win::WindowsHost> bootstrap,
                   win::WindowsHost::Create(std::move(bootstrap_options)));
  ASSIGN_OR_RETURN(RunnerConfig config, LoadRunnerConfig(*bootstrap, sources_));
  RETURN_IF_ERROR(CheckTransport(config));

  win::WindowsHostOptions host_options;
  host_options.state_directory = config.state_directory;
  host_options.extra_defender_tls_roots = config.defender_tls_roots;
  ASSIGN_OR_RETURN(std::unique_ptr<win::WindowsHost> host,
                   win::WindowsHost::Create(std::move(host_options)));
  if (config.state_directory != kDefaultRunnerStateDirectory) {
    UseLogFileIn(config.state_directory);
  }
  LogLine(absl::StrCat("configuration ", DescribeRunnerConfig(config),
                       config.ca_certificate_pem.empty()
                           ? "; plaintext gRPC (server on this machine)"
                           : "; TLS, server certificate pinned to the CA"));

  auto attempt = std::make_unique<Attempt>(
      std::move(host), config,
      [this](RunnerEventSeverity severity, const std::string& message) {
        Event(ToSeverity(severity), message);
      });
  {
    absl::MutexLock lock(&mu_);
    if (stop_.HasBeenNotified()) return absl::OkStatus();
    attempt_ = attempt.get();
  }
  absl::Status result = attempt->Run();
  if (!result.ok()) attempt->Failed(result.message());
  absl::MutexLock lock(&mu_);
  attempt_ = nullptr;
  return result;
}

absl::Status RunnerServiceBody::Run(std::stop_token stop) {
  std::stop_callback on_stop(stop, [this] {
    absl::MutexLock lock(&mu_);
    stop_.Notify();
    if (attempt_ != nullptr) attempt_->Stop();
  });
  Backoff backoff(kFirstRetry, kLongestRetry, RandomSeed());
  std::string last_problem;
  while (!stop_.HasBeenNotified()) {
    absl::Status result = RunOnce();
    if (result.ok() || stop_.HasBeenNotified()) break;
    const absl::Duration wait = backoff.Next();
    LogLine(absl::StrCat(
        result.message(), "; trying again in ",
        absl::FormatDuration(absl::Trunc(wait, absl::Seconds(1)))));
    if (result.message() != last_problem) {
      // Each distinct problem once in the event log, not every retry.
      last_problem = std::string(result.message());
      Event(EventLogWriter::Severity::kError, last_problem);
    }
    if (stop_.WaitForNotificationWithTimeout(wait)) break;
  }
  LogLine("stopped");
  return absl::OkStatus();
}

}  // namespace mdefleet::runner

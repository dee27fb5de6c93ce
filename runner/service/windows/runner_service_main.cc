// mdefleet-runner.exe: the runner as a Windows service (LocalSystem).
//
//   mdefleet-runner.exe install     create or update the service and its
//                                   event log source (does not start it)
//   mdefleet-runner.exe uninstall   stop and remove the service
//   mdefleet-runner.exe run         what the service control manager starts
//   mdefleet-runner.exe console [--config-file PATH]
//                                   the same loop in the foreground (Ctrl+C)
//   mdefleet-runner.exe version
//
// Configuration: Group Policy (HKLM\SOFTWARE\Policies\mdefleet\Runner) or
// C:\ProgramData\mdefleet\runner.conf (runner/service/runner_config.h).
// Logs: <state directory>\mdefleet-runner.log, plus starts, stops and errors
// in the Application event log (source mdefleet-runner).
//
// Built only by the full Windows build (MSVC + vcpkg): it needs gRPC.
#include <windows.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/random_bytes.h"
#include "common/status_macros.h"
#include "runner/client/log.h"
#include "runner/client/runner_agent.h"
#include "runner/host/windows/windows_host.h"
#include "runner/host/windows_path.h"
#include "runner/service/runner_config.h"
#include "runner/service/service_body.h"
#include "runner/service/service_lifecycle.h"
#include "runner/service/windows/service_host.h"
#include "runner/service/windows/service_installer.h"
#include "runner/service/windows/service_log.h"
#include "runner/service/windows/win_util.h"

#ifndef MDEFLEET_RUNNER_VERSION
#define MDEFLEET_RUNNER_VERSION "dev"
#endif

namespace mdefleet::runner {
namespace {

using service_win::EventLogWriter;

constexpr char kLogFileName[] = "mdefleet-runner.log";

void Print(absl::string_view line) {
  std::fprintf(stderr, "mdefleet-runner: %s\n", std::string(line).c_str());
}

// RunnerAgent + WindowsHost, configured from Group Policy or runner.conf.
class RunnerServiceBody : public ServiceBody {
 public:
  // `events` (may be null) receives warnings that have nowhere else to go.
  RunnerServiceBody(RunnerConfigSources sources, bool service_mode,
                    EventLogWriter* events)
      : sources_(std::move(sources)),
        service_mode_(service_mode),
        events_(events) {}

  absl::Status Prepare() override {
    // The data directory holds runner.conf (which may hold the enrollment
    // secret); WindowsHost gives it the SYSTEM/Administrators-only DACL
    // again on every start, and reads the policy and the file.
    const std::string data_directory = WindowsDirName(kDefaultRunnerConfigFile);
    win::WindowsHostOptions bootstrap_options;
    bootstrap_options.state_directory = data_directory;
    ASSIGN_OR_RETURN(std::unique_ptr<win::WindowsHost> bootstrap,
                     win::WindowsHost::Create(std::move(bootstrap_options)));
    ASSIGN_OR_RETURN(config_, LoadRunnerConfig(*bootstrap, sources_));

    if (!config_.ca_certificate_path.empty()) {
      // Fail closed rather than talk plaintext to a server the operator
      // meant to reach over TLS.
      return absl::FailedPreconditionError(absl::StrCat(
          "CaCertificatePath is set (", config_.source_description,
          ") but this mdefleet-runner build has no TLS client yet: remove the "
          "setting to use plaintext gRPC, or install a runner with TLS"));
    }

    win::WindowsHostOptions host_options;
    host_options.state_directory = config_.state_directory;
    ASSIGN_OR_RETURN(host_, win::WindowsHost::Create(std::move(host_options)));
    if (service_mode_) {
      // LogLine writes to stderr: send it to the log file. Not fatal: the
      // runner still works, and starts, stops and errors reach the event log.
      if (absl::Status s = service_win::RedirectStderrToFile(
              JoinWindowsPath(host_->StateDirectory(), kLogFileName));
          !s.ok() && events_ != nullptr) {
        events_->Write(
            EventLogWriter::Severity::kWarning,
            absl::StrCat("mdefleet-runner: no log file: ", s.message()));
      }
    }
    LogLine(absl::StrCat("mdefleet-runner ", MDEFLEET_RUNNER_VERSION,
                         " starting; configuration ",
                         DescribeRunnerConfig(config_)));

    RunnerAgentOptions options;
    options.server_address = config_.server_address;
    options.enrollment_secret = config_.enrollment_secret;
    options.labels = config_.labels;
    options.poll_wait = config_.poll_wait;
    options.max_backoff = config_.max_backoff;
    // Per-machine jitter, so a fleet restarted together does not retry in
    // lockstep.
    const std::string seed = RandomBytes(sizeof(uint64_t));
    std::memcpy(&options.seed, seed.data(), sizeof(options.seed));
    agent_ = std::make_unique<RunnerAgent>(*host_, std::move(options));
    return absl::OkStatus();
  }

  absl::Status Run(std::stop_token stop) override {
    std::stop_callback on_stop(stop, [this] { agent_->Stop(); });
    return agent_->Run();
  }

 private:
  const RunnerConfigSources sources_;
  const bool service_mode_;
  EventLogWriter* const events_;
  RunnerConfig config_;
  std::unique_ptr<win::WindowsHost> host_;
  std::unique_ptr<RunnerAgent> agent_;
};

// Lifecycle lines go to the log and, being few, to the event log too.
ServiceLifecycleOptions LifecycleOptions(EventLogWriter* events) {
  ServiceLifecycleOptions options;
  options.log = [events](absl::string_view line) {
    LogLine(line);
    if (events == nullptr) return;
    const bool error = absl::StartsWith(line, "cannot start") ||
                       absl::StartsWith(line, "stopped with an error");
    events->Write(
        error ? EventLogWriter::Severity::kError
              : EventLogWriter::Severity::kInformation,
        absl::StrCat("mdefleet-runner ", MDEFLEET_RUNNER_VERSION, ": ", line));
  };
  return options;
}

int Install() {
  auto executable = service_win::CurrentExecutablePath();
  if (!executable.ok()) {
    Print(executable.status().message());
    return 1;
  }
  service_win::ServiceDefinition definition;
  definition.executable = *executable;
  auto result = service_win::InstallService(definition);
  if (!result.ok()) {
    Print(result.status().message());
    return 1;
  }
  Print(absl::StrCat(
      "service ", definition.name, result->created ? " created" : " updated",
      ": \"", definition.executable,
      "\" run, LocalSystem, automatic (delayed) start, restart after 10 s, "
      "30 s, 60 s, failure count reset after 1 day"));
  for (const std::string& setting : result->unsupported) {
    Print(
        absl::StrCat("warning: this system's service control manager does "
                     "not support ",
                     setting, "; it was not set"));
  }
  if (absl::Status s =
          service_win::InstallEventLogSource(service_win::kRunnerServiceName);
      !s.ok()) {
    Print(absl::StrCat("warning: event log source not registered: ",
                       s.message()));
  }
  Print("start it with: sc.exe start mdefleet-runner");
  return 0;
}

int Uninstall() {
  auto outcome = service_win::UninstallService(service_win::kRunnerServiceName);
  if (!outcome.ok()) {
    Print(outcome.status().message());
    return 1;
  }
  if (*outcome == service_win::UninstallOutcome::kNotInstalled) {
    Print("service mdefleet-runner is not installed; nothing to do");
  } else {
    Print("service mdefleet-runner stopped and removed");
  }
  if (absl::Status s =
          service_win::RemoveEventLogSource(service_win::kRunnerServiceName);
      !s.ok()) {
    Print(absl::StrCat("warning: event log source not removed: ", s.message()));
  }
  return 0;
}

int RunService() {
  auto events = EventLogWriter::Open(service_win::kRunnerServiceName);
  EventLogWriter* writer = events.ok() ? events->get() : nullptr;
  RunnerServiceBody body(RunnerConfigSources{}, /*service_mode=*/true, writer);
  absl::Status result = service_win::RunAsService(
      service_win::kRunnerServiceName, body, LifecycleOptions(writer));
  if (!result.ok()) {
    Print(result.message());
    return absl::IsFailedPrecondition(result) &&
                   absl::StrContains(result.message(),
                                     "ERROR_FAILED_SERVICE_CONTROLLER_CONNECT")
               ? 2
               : 1;
  }
  return 0;
}

int RunConsole(RunnerConfigSources sources) {
  RunnerServiceBody body(std::move(sources), /*service_mode=*/false,
                         /*events=*/nullptr);
  absl::Status result =
      service_win::RunInConsole(body, LifecycleOptions(nullptr));
  if (!result.ok()) {
    Print(result.message());
    return 1;
  }
  return 0;
}

constexpr char kUsage[] =
    "usage: mdefleet-runner.exe install | uninstall | run | "
    "console [--config-file PATH] | version\n"
    "  install    create or update the Windows service mdefleet-runner\n"
    "             (LocalSystem, automatic delayed start, restart on failure)\n"
    "  uninstall  stop and remove the service\n"
    "  run        run as the service (started by the service control "
    "manager)\n"
    "  console    run in the foreground until Ctrl+C\n"
    "Configuration: Group Policy HKLM\\SOFTWARE\\Policies\\mdefleet\\Runner, "
    "else C:\\ProgramData\\mdefleet\\runner.conf (see docs/windows.md).\n";

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" ||
      args[0] == "-h" || args[0] == "/?") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  if (command == "console") {
    RunnerConfigSources sources;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--config-file" && i + 1 < args.size()) {
        sources.config_file = args[++i];
      } else {
        Print(absl::StrCat("console: unexpected argument \"", args[i], "\""));
        std::fputs(kUsage, stderr);
        return 2;
      }
    }
    return RunConsole(std::move(sources));
  }
  if (args.size() != 1) {
    Print(absl::StrCat(command, ": unexpected arguments"));
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (command == "install") return Install();
  if (command == "uninstall") return Uninstall();
  if (command == "run") return RunService();
  if (command == "version") {
    std::printf("mdefleet-runner %s\n", MDEFLEET_RUNNER_VERSION);
    return 0;
  }
  Print(absl::StrCat("unknown command \"", command, "\""));
  std::fputs(kUsage, stderr);
  return 2;
}

}  // namespace
}  // namespace mdefleet::runner

int main(int argc, char** argv) { return mdefleet::runner::Main(argc, argv); }

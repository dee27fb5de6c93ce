// mdefleet-runner.exe: the runner as a Windows service (LocalSystem).
//
//   mdefleet-runner.exe install     create or update the service and its
//                                   event log source (does not start it)
//   mdefleet-runner.exe start       start the service
//   mdefleet-runner.exe uninstall [--remove-data]
//                                   stop and remove the service (and with
//                                   --remove-data C:\ProgramData\mdefleet)
//   mdefleet-runner.exe configure --server HOST:PORT [--ca-cert FILE]
//       (--enrollment-secret SECRET | --enrollment-secret-file FILE)
//       [--labels k=v,...]      write C:\ProgramData\mdefleet\runner.conf
//   mdefleet-runner.exe status      configuration, service state, device id,
//                                   last contact, current task
//   mdefleet-runner.exe run         what the service control manager starts
//   mdefleet-runner.exe console [--config-file PATH]
//                                   the same loop in the foreground (Ctrl+C)
//   mdefleet-runner.exe version | --version
//
// Configuration: Group Policy (HKLM\SOFTWARE\Policies\mdefleet\Runner) or
// C:\ProgramData\mdefleet\runner.conf (runner/service/runner_config.h).
// Logs: <state directory>\mdefleet-runner.log, plus starts, stops,
// enrollment and failures in the Application event log (source
// mdefleet-runner).
#include <windows.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "runner/client/log.h"
#include "runner/service/runner_config.h"
#include "runner/service/service_lifecycle.h"
#include "runner/service/windows/runner_commands.h"
#include "runner/service/windows/runner_service_body.h"
#include "runner/service/windows/service_host.h"
#include "runner/service/windows/service_installer.h"
#include "runner/service/windows/service_log.h"

#ifndef MDEFLEET_RUNNER_VERSION
#define MDEFLEET_RUNNER_VERSION "dev"
#endif

namespace mdefleet::runner {
namespace {

using service_win::EventLogWriter;

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
    "usage: mdefleet-runner.exe COMMAND\n"
    "  install      create or update the Windows service mdefleet-runner\n"
    "               (LocalSystem, automatic delayed start, restart on "
    "failure)\n"
    "  start        start the service\n"
    "  uninstall [--remove-data]\n"
    "               stop and remove the service; --remove-data also deletes\n"
    "               C:\\ProgramData\\mdefleet (identity, journal, logs)\n"
    "  configure --server HOST:PORT [--ca-cert FILE]\n"
    "            (--enrollment-secret SECRET | --enrollment-secret-file "
    "FILE)\n"
    "            [--labels k=v,...]\n"
    "               write C:\\ProgramData\\mdefleet\\runner.conf "
    "(Group Policy, when set, wins)\n"
    "  status       configuration, service state, device id, last contact,\n"
    "               current task\n"
    "  run          run as the service (started by the service control "
    "manager)\n"
    "  console [--config-file PATH]\n"
    "               run in the foreground until Ctrl+C\n"
    "  version      print the version and the commit it was built from\n"
    "Configuration: Group Policy HKLM\\SOFTWARE\\Policies\\mdefleet\\Runner, "
    "else C:\\ProgramData\\mdefleet\\runner.conf (see docs/windows.md).\n";

int Usage(absl::string_view problem) {
  Print(problem);
  std::fputs(kUsage, stderr);
  return 2;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "help" || command == "--help" || command == "-h" ||
      command == "/?") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "version" || command == "--version") {
    std::printf("mdefleet-runner %s (commit %s)\n", MDEFLEET_RUNNER_VERSION,
                MDEFLEET_COMMIT);
    return 0;
  }
  if (command == "console") {
    RunnerConfigSources sources;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--config-file" && i + 1 < args.size()) {
        sources.config_file = args[++i];
      } else {
        return Usage(
            absl::StrCat("console: unexpected argument \"", args[i], "\""));
      }
    }
    return RunConsole(std::move(sources));
  }
  if (command == "configure") return ConfigureCommand(args);
  if (command == "uninstall") return UninstallCommand(args);
  if (!args.empty()) {
    return Usage(absl::StrCat(command, ": unexpected arguments"));
  }
  if (command == "install") return InstallCommand();
  if (command == "start") return StartCommand();
  if (command == "status") return StatusCommand();
  if (command == "run") return RunService();
  return Usage(absl::StrCat("unknown command \"", command, "\""));
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

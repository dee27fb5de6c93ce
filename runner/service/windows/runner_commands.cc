#include "runner/service/windows/runner_commands.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "runner/host/windows/windows_host.h"
#include "runner/host/windows_path.h"
#include "runner/service/runner_config.h"
#include "runner/service/runner_config_writer.h"
#include "runner/service/runner_status.h"
#include "runner/service/windows/service_installer.h"
#include "runner/service/windows/service_log.h"
#include "runner/service/windows/win_util.h"

namespace mdefleet::runner {

void Print(absl::string_view line) {
  std::fprintf(stderr, "mdefleet-runner: %s\n", std::string(line).c_str());
}

namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(30);

int Fail(absl::string_view message) {
  Print(message);
  return 1;
}

// A WindowsHost whose private directory is `directory` (created, with the
// SYSTEM/Administrators-only DACL).
[[nodiscard]] absl::StatusOr<std::unique_ptr<win::WindowsHost>> HostFor(
    const std::string& directory) {
  win::WindowsHostOptions options;
  options.state_directory = directory;
  return win::WindowsHost::Create(std::move(options));
}

}  // namespace

int InstallCommand() {
  auto executable = service_win::CurrentExecutablePath();
  if (!executable.ok()) return Fail(executable.status().message());
  service_win::ServiceDefinition definition;
  definition.executable = *executable;
  auto result = service_win::InstallService(definition);
  if (!result.ok()) return Fail(result.status().message());
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
  Print("start it with: mdefleet-runner.exe start");
  return 0;
}

int StartCommand() {
  if (absl::Status s =
          service_win::StartServiceByName(service_win::kRunnerServiceName);
      !s.ok()) {
    return Fail(absl::StrCat("cannot start service ",
                             service_win::kRunnerServiceName, ": ",
                             s.message()));
  }
  // Wait until it runs (or gave up), so an installer knows.
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (true) {
    auto status =
        service_win::QueryServiceStatusByName(service_win::kRunnerServiceName);
    if (!status.ok()) return Fail(status.status().message());
    if (!status->has_value()) {
      return Fail("service mdefleet-runner disappeared while starting");
    }
    if ((*status)->state == SERVICE_RUNNING) {
      Print("service mdefleet-runner running");
      return 0;
    }
    if ((*status)->state == SERVICE_STOPPED) {
      return Fail(absl::StrCat(
          "service mdefleet-runner stopped while starting (exit code ",
          (*status)->win32_exit_code,
          "); see the Application event log and mdefleet-runner.log"));
    }
    if (absl::Now() > deadline) {
      return Fail(absl::StrCat("service mdefleet-runner still ",
                               service_win::ServiceStateText((*status)->state),
                               " after ", absl::FormatDuration(kStartTimeout)));
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

int UninstallCommand(const std::vector<std::string>& args) {
  bool remove_data = false;
  for (const std::string& arg : args) {
    if (arg != "--remove-data") {
      Print(absl::StrCat("uninstall: unexpected argument \"", arg, "\""));
      return 2;
    }
    remove_data = true;
  }
  auto outcome = service_win::UninstallService(service_win::kRunnerServiceName);
  if (!outcome.ok()) return Fail(outcome.status().message());
  Print(*outcome == service_win::UninstallOutcome::kNotInstalled
            ? "service mdefleet-runner is not installed; nothing to do"
            : "service mdefleet-runner stopped and removed");
  if (absl::Status s =
          service_win::RemoveEventLogSource(service_win::kRunnerServiceName);
      !s.ok()) {
    Print(absl::StrCat("warning: event log source not removed: ", s.message()));
  }
  if (!remove_data) {
    Print(absl::StrCat("kept ", WindowsDirName(kDefaultRunnerConfigFile),
                       " (configuration, identity, journal, logs); "
                       "uninstall --remove-data deletes it"));
    return 0;
  }
  const std::string data = WindowsDirName(kDefaultRunnerConfigFile);
  auto host = HostFor(data);
  if (!host.ok()) return Fail(host.status().message());
  if (absl::Status s = (*host)->DeletePath(data); !s.ok()) {
    return Fail(absl::StrCat("cannot delete ", data, ": ", s.message()));
  }
  Print(absl::StrCat("deleted ", data,
                     " (this machine's device identity is gone: a new "
                     "install enrolls as a new device)"));
  return 0;
}

int ConfigureCommand(const std::vector<std::string>& args) {
  RunnerConfigValues values;
  std::string secret_file;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) {
      Print(absl::StrCat("configure: ", flag, " needs a value"));
      return 2;
    }
    const std::string& value = args[++i];
    if (flag == "--server") {
      values.server_address = value;
    } else if (flag == "--ca-cert") {
      values.ca_certificate_file = value;
    } else if (flag == "--enrollment-secret") {
      values.enrollment_secret = value;
    } else if (flag == "--enrollment-secret-file") {
      secret_file = value;
    } else if (flag == "--labels") {
      values.labels = value;
    } else {
      Print(absl::StrCat("configure: unexpected argument \"", flag, "\""));
      return 2;
    }
  }
  const std::string config_file = kDefaultRunnerConfigFile;
  auto host = HostFor(WindowsDirName(config_file));
  if (!host.ok()) return Fail(host.status().message());
  if (!secret_file.empty()) {
    if (!values.enrollment_secret.empty()) {
      Print(
          "configure: give --enrollment-secret or --enrollment-secret-file, "
          "not both");
      return 2;
    }
    auto secret = (*host)->ReadFile(secret_file);
    if (!secret.ok()) {
      return Fail(absl::StrCat("--enrollment-secret-file: cannot read ",
                               secret_file, ": ", secret.status().message()));
    }
    values.enrollment_secret = std::string(absl::StripAsciiWhitespace(*secret));
  }
  auto written = WriteRunnerConfig(**host, config_file, values);
  if (!written.ok()) {
    const std::string message = absl::StrCat(
        "configure: ", written.status().message(), "; nothing was written");
    // Windows Installer does not log a custom action's output: the event
    // log is where an administrator finds why the MSI rolled back.
    if (auto events =
            service_win::EventLogWriter::Open(service_win::kRunnerServiceName);
        events.ok()) {
      (*events)->Write(service_win::EventLogWriter::Severity::kError,
                       absl::StrCat("mdefleet-runner: ", message));
    }
    return Fail(message);
  }
  Print(absl::StrCat("wrote ", config_file, ": ",
                     DescribeRunnerConfig(*written),
                     "; restart the service to use it"));
  return 0;
}

int StatusCommand() {
  std::string configuration;
  std::string state_directory = kDefaultRunnerStateDirectory;
  auto bootstrap = HostFor(WindowsDirName(kDefaultRunnerConfigFile));
  if (!bootstrap.ok()) return Fail(bootstrap.status().message());
  auto config = LoadRunnerConfig(**bootstrap);
  if (config.ok()) {
    configuration = DescribeRunnerConfig(*config);
    state_directory = config->state_directory;
  } else {
    configuration = absl::StrCat("not usable: ", config.status().message());
  }

  std::string service_state;
  auto service =
      service_win::QueryServiceStatusByName(service_win::kRunnerServiceName);
  if (!service.ok()) {
    service_state = absl::StrCat("unknown (", service.status().message(), ")");
  } else if (!service->has_value()) {
    service_state = "not installed";
  } else {
    service_state = service_win::ServiceStateText((*service)->state);
  }

  auto host = HostFor(state_directory);
  if (!host.ok()) return Fail(host.status().message());
  auto status = ReadRunnerStatus(**host, state_directory);
  if (!status.ok()) return Fail(status.status().message());
  std::fputs(
      DescribeRunnerStatus(configuration, service_state, *status, absl::Now())
          .c_str(),
      stdout);
  return 0;
}

}  // namespace mdefleet::runner

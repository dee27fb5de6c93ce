// The administrator's commands of mdefleet-runner.exe (besides running):
// install, start, uninstall, configure, status. Each prints what it did and
// returns the process exit code (0 done, 1 failed, 2 bad usage). `args` are
// the arguments after the command's name. Win32 only.
#ifndef MDEFLEET_RUNNER_SERVICE_WINDOWS_RUNNER_COMMANDS_H_
#define MDEFLEET_RUNNER_SERVICE_WINDOWS_RUNNER_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mdefleet::runner {

// One line for the administrator on stderr: "mdefleet-runner: <line>".
void Print(absl::string_view line);

int InstallCommand();
int StartCommand();
int UninstallCommand(const std::vector<std::string>& args);
int ConfigureCommand(const std::vector<std::string>& args);
int StatusCommand();

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_SERVICE_WINDOWS_RUNNER_COMMANDS_H_

// The mdefleetctl command line: global flags, the command groups, parsing,
// running the chosen command and turning its status into output and an exit
// code (0 ok, 1 error, 2 usage error).
#ifndef MDEFLEET_SERVER_CLI_APP_H_
#define MDEFLEET_SERVER_CLI_APP_H_

#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "server/cli/command.h"

namespace mdefleet::cli {

// Runs mdefleetctl with `args` (without the program name). Environment
// variables MDEFLEET_SERVER and MDEFLEET_TOKEN are read by the parser.
// Errors print as "error: <message>" on `err`.
int RunCli(const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err, const Terminal& terminal, const Clock& clock);

// Whether stdout is a terminal, and its width.
Terminal DetectTerminal();

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_APP_H_

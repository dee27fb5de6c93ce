#include "server/cli/app.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "common/inert_text.h"
#include "server/cli/access_cmd.h"
#include "server/cli/artifacts_cmd.h"
#include "server/cli/audit_cmd.h"
#include "server/cli/devices_cmd.h"
#include "server/cli/errors.h"
#include "server/cli/fleet_cmd.h"
#include "server/cli/jobs_cmd.h"

namespace mdefleet::cli {

Terminal DetectTerminal() {
  Terminal terminal;
  terminal.is_tty = isatty(STDOUT_FILENO) == 1;
  if (!terminal.is_tty) return terminal;
  struct winsize size {};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    terminal.columns = size.ws_col;
  } else if (const char* columns = std::getenv("COLUMNS")) {
    int value = 0;
    if (absl::SimpleAtoi(columns, &value) && value > 0) {
      terminal.columns = static_cast<size_t>(value);
    }
  }
  if (terminal.columns == 0) terminal.columns = 80;
  return terminal;
}

int RunCli(const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err, const Terminal& terminal, const Clock& clock) {
  CLI::App app(
      "mdefleetctl: the operators' CLI of mdefleet (Defender for Endpoint "
      "onboarding of Windows Server fleets)",
      "mdefleetctl");
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(MDEFLEET_CLI_VERSION));

  ConnectionOptions connection;
  std::string output = "table";
  app.add_option("--server", connection.server,
                 "mdefleet-server address HOST:PORT")
      ->envname("MDEFLEET_SERVER")
      ->capture_default_str();
  app.add_option("--token", connection.token,
                 "Admin token (prefer MDEFLEET_TOKEN or --token-file: "
                 "command lines are visible to other users)")
      ->envname("MDEFLEET_TOKEN");
  app.add_option("--ca-cert", connection.ca_cert,
                 "CA certificate (PEM) the server's certificate must be "
                 "issued by: ca.pem from mdefleet-server init. Without it "
                 "the CLI talks plaintext, to a loopback --server only")
      ->envname("MDEFLEET_CA_CERT");
  app.add_option("--token-file", connection.token_file,
                 "File whose first line is the admin token");
  app.add_option("-o,--output", output, "Output format: table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", connection.timeout,
                 "Deadline of each call (e.g. 30s, 2m)")
      ->capture_default_str();

  Command selected;
  AddFleetCommands(app, &selected);
  AddDevicesCommands(app, &selected);
  AddJobsCommands(app, &selected);
  AddArtifactsCommands(app, &selected);
  AddAuditCommands(app, &selected);
  AddAccessCommands(app, &selected);

  std::vector<const char*> argv = {"mdefleetctl"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "error: " << e.what() << "\n"
        << "Run with --help for more information.\n";
    return kExitUsage;
  }
  if (!selected) {
    err << "error: no command given\nRun with --help for more information.\n";
    return kExitUsage;
  }

  CommandEnv env(connection,
                 output == "json" ? OutputFormat::kJson : OutputFormat::kTable,
                 out, err, terminal, clock);
  absl::Status status = selected(env);
  out.flush();
  if (!status.ok()) {
    // Server errors may quote what devices report (host names).
    err << "error: " << InertText(status.message()) << "\n";
    if (IsUsageError(status)) {
      err << "Run with --help for more information.\n";
    }
  }
  return ExitCodeFor(status);
}

}  // namespace mdefleet::cli

// `mdefleetctl artifacts upload|list`.
#ifndef MDEFLEET_SERVER_CLI_ARTIFACTS_CMD_H_
#define MDEFLEET_SERVER_CLI_ARTIFACTS_CMD_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "server/cli/command.h"

namespace mdefleet::cli {

// Uploads FILE as an artifact of `kind` (onboarding_script, ...) under
// `name` (the file's base name when empty) and prints the stored artifact.
[[nodiscard]] absl::Status RunArtifactsUpload(CommandEnv& env,
                                              const std::string& file,
                                              const std::string& kind,
                                              const std::string& name);

// Lists artifacts, optionally of one kind.
[[nodiscard]] absl::Status RunArtifactsList(CommandEnv& env,
                                            const std::string& kind);

// Adds the `artifacts` command group; the chosen command lands in `selected`.
void AddArtifactsCommands(CLI::App& app, Command* selected);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_ARTIFACTS_CMD_H_

// `mdefleetctl tokens ...` (named API tokens with roles) and
// `mdefleetctl enroll-secrets ...` (runner enrollment secrets): admin-only.
// A token's or secret's value is printed once, by create and rotate.
#ifndef MDEFLEET_SERVER_CLI_ACCESS_CMD_H_
#define MDEFLEET_SERVER_CLI_ACCESS_CMD_H_

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/cli/command.h"

namespace mdefleet::cli {

struct TokenCreateOptions {
  std::string name;
  std::string role;        // viewer | operator | admin
  std::string expires_in;  // a duration; empty: never
};

struct SecretCreateOptions {
  std::string name;
  std::vector<std::string> labels;  // key=value
  std::string expires_in;
};

// Usage errors name the flag (--role, --label, --expires-in).
[[nodiscard]] absl::StatusOr<v1::CreateTokenRequest> BuildCreateTokenRequest(
    const TokenCreateOptions& options);
[[nodiscard]] absl::StatusOr<v1::CreateEnrollmentSecretRequest>
BuildCreateSecretRequest(const SecretCreateOptions& options);

// Adds the `tokens` and `enroll-secrets` command groups.
void AddAccessCommands(CLI::App& app, Command* selected);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_ACCESS_CMD_H_

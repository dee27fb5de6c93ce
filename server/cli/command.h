// What every mdefleetctl command runs with: the output format and streams,
// the terminal facts, a clock, and the server connection (opened lazily, so
// usage errors are reported before a token is needed).
#ifndef MDEFLEET_SERVER_CLI_COMMAND_H_
#define MDEFLEET_SERVER_CLI_COMMAND_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "google/protobuf/message.h"
#include "server/cli/connection.h"

namespace mdefleet::cli {

enum class OutputFormat { kTable, kJson };

// Terminal facts of stdout, decided once by main.
struct Terminal {
  bool is_tty = false;
  size_t columns = 0;  // 0 when unknown or not a terminal
};

class CommandEnv {
 public:
  CommandEnv(ConnectionOptions options, OutputFormat format, std::ostream& out,
             std::ostream& err, Terminal terminal, const Clock& clock);

  // The connection, opened on first use from the global options. Errors are
  // usage errors for bad flags (no token, bad --timeout).
  [[nodiscard]] absl::StatusOr<const Connection*> connection();

  // For tests: use `connection` instead of opening one.
  void SetConnectionForTest(std::unique_ptr<Connection> connection);

  bool json() const { return format_ == OutputFormat::kJson; }
  std::ostream& out() { return out_; }
  // Notes for humans that must not mix with JSON on stdout.
  std::ostream& err() { return err_; }
  const Terminal& terminal() const { return terminal_; }
  const Clock& clock() const { return clock_; }

  // Prints `message` as one JSON document on stdout.
  void PrintJson(const google::protobuf::Message& message);

 private:
  ConnectionOptions options_;
  OutputFormat format_;
  std::ostream& out_;
  std::ostream& err_;
  Terminal terminal_;
  const Clock& clock_;
  std::unique_ptr<Connection> connection_;
};

// A parsed command ready to run.
using Command = std::function<absl::Status(CommandEnv&)>;

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_COMMAND_H_

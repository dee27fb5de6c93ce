#include "server/cli/command.h"

#include <utility>

#include "server/cli/format.h"

namespace mdefleet::cli {

CommandEnv::CommandEnv(ConnectionOptions options, OutputFormat format,
                       std::ostream& out, std::ostream& err, Terminal terminal,
                       const Clock& clock)
    : options_(std::move(options)),
      format_(format),
      out_(out),
      err_(err),
      terminal_(terminal),
      clock_(clock) {}

absl::StatusOr<const Connection*> CommandEnv::connection() {
  if (connection_ == nullptr) {
    auto opened = Connection::Open(options_);
    if (!opened.ok()) return opened.status();
    connection_ = *std::move(opened);
  }
  return connection_.get();
}

void CommandEnv::SetConnectionForTest(std::unique_ptr<Connection> connection) {
  connection_ = std::move(connection);
}

void CommandEnv::PrintJson(const google::protobuf::Message& message) {
  out_ << ToJson(message);
  out_.flush();
}

}  // namespace mdefleet::cli

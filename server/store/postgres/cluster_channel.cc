#include "server/store/postgres/cluster_channel.h"

#include <poll.h>

#include <utility>
#include <vector>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mdefleet::store::postgres {
namespace {

// How often the listener looks at its stop flag, and waits between
// reconnection attempts.
constexpr int kListenTickMillis = 200;
constexpr int kReconnectMillis = 1000;

}  // namespace

std::vector<std::string> SplitPayload(absl::string_view message, size_t max) {
  std::vector<std::string> pieces;
  std::string piece;
  while (!message.empty()) {
    size_t end = message.find('\n');
    const size_t line_size =
        end == absl::string_view::npos ? message.size() : end + 1;
    absl::string_view line = message.substr(0, line_size);
    message.remove_prefix(line_size);
    if (piece.size() + line.size() > max && !piece.empty()) {
      pieces.push_back(std::move(piece));
      piece.clear();
    }
    while (line.size() > max) {
      pieces.emplace_back(line.substr(0, max));
      line.remove_prefix(max);
    }
    piece.append(line.data(), line.size());
  }
  if (!piece.empty()) pieces.push_back(std::move(piece));
  return pieces;
}

absl::StatusOr<std::unique_ptr<ClusterChannel>> ClusterChannel::Open(
    const std::string& url, std::string channel, Receiver receiver) {
  auto bus = absl::WrapUnique(
      new ClusterChannel(url, std::move(channel), std::move(receiver)));
  ASSIGN_OR_RETURN(bus->sender_, PgConnection::Open(url));
  bus->sender_pid_ = PQbackendPID(bus->sender_->raw());
  RETURN_IF_ERROR(bus->ConnectListener());
  bus->thread_ = std::thread([raw = bus.get()] { raw->Listen(); });
  return bus;
}

ClusterChannel::~ClusterChannel() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status ClusterChannel::ConnectListener() {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn,
                   PgConnection::Open(url_));
  // The channel name is ours (a constant), quoted as an identifier.
  RETURN_IF_ERROR(conn->Exec(absl::StrCat("LISTEN \"", channel_, "\"")));
  listener_ = std::move(conn);
  return absl::OkStatus();
}

absl::Status ClusterChannel::Send(absl::string_view message) {
  std::lock_guard<std::mutex> lock(send_mu_);
  if (sender_ == nullptr || PQstatus(sender_->raw()) != CONNECTION_OK) {
    sender_.reset();
    ASSIGN_OR_RETURN(sender_, PgConnection::Open(url_));
    sender_pid_ = PQbackendPID(sender_->raw());
  }
  for (const std::string& piece : SplitPayload(message, kMaxPayload)) {
    ASSIGN_OR_RETURN(CachedStatement st,
                     sender_->Prepare("SELECT pg_notify(?1, ?2)"));
    st->Bind(1, channel_);
    st->Bind(2, piece);
    RETURN_IF_ERROR(st->Run());
  }
  return absl::OkStatus();
}

void ClusterChannel::Listen() {
  while (!stop_) {
    if (listener_ == nullptr || PQstatus(listener_->raw()) != CONNECTION_OK) {
      listener_.reset();
      if (!ConnectListener().ok()) {
        for (int waited = 0; waited < kReconnectMillis && !stop_;
             waited += kListenTickMillis) {
          poll(nullptr, 0, kListenTickMillis);
        }
        continue;
      }
    }
    PGconn* conn = listener_->raw();
    pollfd fd{.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
    if (fd.fd < 0) {
      listener_.reset();
      continue;
    }
    const int ready = poll(&fd, 1, kListenTickMillis);
    if (ready <= 0) continue;
    if (PQconsumeInput(conn) == 0) {
      listener_.reset();  // connection lost: reconnect
      continue;
    }
    while (PGnotify* notify = PQnotifies(conn)) {
      if (notify->be_pid != sender_pid_.load()) {
        ++received_;
        receiver_(notify->extra != nullptr ? notify->extra : "");
      }
      PQfreemem(notify);
    }
  }
}

}  // namespace mdefleet::store::postgres

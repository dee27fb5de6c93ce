// What server replicas of one PostgreSQL store tell each other: messages on
// a LISTEN/NOTIFY channel. A replica that commits work for a device sends;
// every other replica hears it and wakes the device's long-poll if it waits
// there. Delivery is PostgreSQL's: after the sender's NOTIFY, to every
// listener connected then; a listener that lost its connection reconnects
// and misses what was sent meanwhile (polls then wait out their timeout).
#ifndef MDEFLEET_SERVER_STORE_POSTGRES_CLUSTER_CHANNEL_H_
#define MDEFLEET_SERVER_STORE_POSTGRES_CLUSTER_CHANNEL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/store/postgres/pg_connection.h"

namespace mdefleet::store::postgres {

class ClusterChannel {
 public:
  // Called on the listener's thread with each message another replica sent.
  using Receiver = std::function<void(absl::string_view message)>;

  // PostgreSQL's limit on a NOTIFY payload is 8000 bytes; Send splits
  // longer messages at line ends into pieces of at most this.
  static constexpr size_t kMaxPayload = 7900;

  // Connects twice to `url` (one connection sends, one listens on
  // `channel`) and starts listening. Unavailable when PostgreSQL cannot be
  // reached.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ClusterChannel>> Open(
      const std::string& url, std::string channel, Receiver receiver);
  ~ClusterChannel();  // stops listening
  ClusterChannel(const ClusterChannel&) = delete;
  ClusterChannel& operator=(const ClusterChannel&) = delete;

  // Sends `message` (lines) to the other replicas; this one does not hear
  // it. Errors are the caller's to log: a lost message delays a wake only.
  [[nodiscard]] absl::Status Send(absl::string_view message);

  // Messages heard from other replicas so far (tests, metrics).
  int64_t received() const { return received_.load(); }

 private:
  ClusterChannel(std::string url, std::string channel, Receiver receiver)
      : url_(std::move(url)),
        channel_(std::move(channel)),
        receiver_(std::move(receiver)) {}
  [[nodiscard]] absl::Status ConnectListener();
  void Listen();

  const std::string url_;
  const std::string channel_;
  const Receiver receiver_;
  std::mutex send_mu_;
  std::unique_ptr<PgConnection> sender_;  // guarded by send_mu_
  std::atomic<int> sender_pid_{0};
  std::unique_ptr<PgConnection> listener_;  // the listener thread's
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> received_{0};
  std::thread thread_;
};

// `message` cut at line ends into pieces of at most `max` bytes (a longer
// line alone is cut anywhere).
std::vector<std::string> SplitPayload(absl::string_view message, size_t max);

}  // namespace mdefleet::store::postgres

#endif  // MDEFLEET_SERVER_STORE_POSTGRES_CLUSTER_CHANNEL_H_

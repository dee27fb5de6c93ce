// The queued api_offboard tasks the Defender API budget holds back: each one's
// message "waiting for the Defender API rate limit (N ahead)" and each job's
// count (rollout.api_waiting). Written when the set changes, refreshed at
// most once a tick otherwise, so a long queue does not rewrite itself every
// pass.
#ifndef MDEFLEET_SERVER_DEFENDER_API_WAITING_MESSAGES_H_
#define MDEFLEET_SERVER_DEFENDER_API_WAITING_MESSAGES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/service/event_hub.h"
#include "server/store/api_tasks.h"
#include "server/store/store.h"

namespace mdefleet::defender {

class ApiWaitingMessages {
 public:
  // `hub` may be null (tests). Past `limit` tasks the count reads "N+".
  ApiWaitingMessages(store::Store& store, service::EventHub* hub, int limit,
                     absl::Duration refresh);

  // Clears the messages a previous run left (before the first Update).
  [[nodiscard]] absl::Status Clear();

  // `waiting` in queue order, behind `ahead` tasks (retries due).
  [[nodiscard]] absl::Status Update(
      const std::vector<store::StartableApiTask>& waiting, int64_t ahead,
      absl::Time now);

  // A task started: its message is gone with its QUEUED state.
  void Forget(const std::string& task_id) { messages_.erase(task_id); }

  bool empty() const { return messages_.empty(); }

 private:
  store::Store& store_;
  service::EventHub* hub_;
  const int limit_;
  const absl::Duration refresh_;
  absl::Time next_refresh_ = absl::InfinitePast();
  std::map<std::string, std::string> messages_;  // task -> message
  std::map<std::string, int64_t> counts_;        // job -> count
};

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_API_WAITING_MESSAGES_H_

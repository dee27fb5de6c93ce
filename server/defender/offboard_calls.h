// api_offboard's calls to the Defender API and their accounting: each call
// takes a slot of the server's one budget (ApiCallBudget: 100 calls a
// minute, 1500 an hour, shared with onboard's confirmations) and is written
// to its persisted call log before it is sent, then moved to when its answer
// came back. The token comes first and is not counted (its endpoint is not
// the API's).
#ifndef MDEFLEET_SERVER_DEFENDER_OFFBOARD_CALLS_H_
#define MDEFLEET_SERVER_DEFENDER_OFFBOARD_CALLS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/defender/api_call_budget.h"
#include "server/defender/defender_api.h"
#include "server/defender/token_source.h"

namespace mdefleet::defender {

// The answer of a counted call.
template <typename T>
struct CountedCall {
  // Ok: the call was sent and logged, and `answer` is Defender's. Otherwise
  // the budget had no room (no_room()), or the call log could not be
  // written (before the call: nothing was sent; after it: the answer is
  // dropped).
  absl::Status counted;
  bool sent = false;
  absl::StatusOr<T> answer = absl::UnknownError("not sent");

  // The budget had no room (another worker may take the last slot between
  // HasRoom and the call): nothing was sent; try when there is room.
  bool no_room() const { return !sent && absl::IsResourceExhausted(counted); }
};

class OffboardCalls {
 public:
  // All references must outlive this.
  OffboardCalls(DefenderApi& api, TokenSource& tokens, ApiCallBudget& budget);

  // An access token for the calls below (cached; not counted).
  [[nodiscard]] absl::StatusOr<std::string> Token();

  // POST /api/machines/{machine_id}/offboard.
  [[nodiscard]] CountedCall<MachineAction> Offboard(
      absl::string_view machine_id, absl::string_view comment);
  // The Offboard machine actions created since `since` (of one machine, or
  // of all when `machine_id` is empty).
  [[nodiscard]] CountedCall<std::vector<MachineAction>> ListOffboardActions(
      absl::Time since, absl::string_view machine_id = "");
  // The machines of `machine_ids` (at most DefenderApi::kMaxMachinesPerList).
  [[nodiscard]] CountedCall<std::vector<Machine>> ListMachines(
      const std::vector<std::string>& machine_ids);

  // A call may start now.
  bool HasRoom() const { return budget_.HasRoom(); }
  // The earliest time at or after `now` a call may start.
  absl::Time NextAllowed(absl::Time now) const {
    return budget_.NextAllowed(now);
  }
  // No call before `until` (a 429's Retry-After).
  void BlockUntil(absl::Time until) { budget_.BlockUntil(until); }
  void Prune(absl::Time now) { budget_.Prune(now); }

  const ApiCallBudget& budget() const { return budget_; }

 private:
  // Runs `call` inside a slot of the budget, logged.
  template <typename T, typename Call>
  CountedCall<T> Counted(Call call);

  DefenderApi& api_;
  TokenSource& tokens_;
  ApiCallBudget& budget_;
};

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_OFFBOARD_CALLS_H_

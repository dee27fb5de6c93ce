#include "server/defender/offboard_calls.h"

#include <cstdint>

namespace mdefleet::defender {

OffboardCalls::OffboardCalls(DefenderApi& api, TokenSource& tokens,
                             ApiCallBudget& budget)
    : api_(api), tokens_(tokens), budget_(budget) {}

absl::StatusOr<std::string> OffboardCalls::Token() { return tokens_.Token(); }

template <typename T, typename Call>
CountedCall<T> OffboardCalls::Counted(Call call) {
  CountedCall<T> result;
  absl::Time started;
  int64_t id = 0;
  result.counted = budget_.BeginCall(&started, &id);
  if (!result.counted.ok()) return result;
  result.sent = true;
  result.answer = call();
  result.counted = budget_.EndCall(started, id);
  return result;
}

CountedCall<MachineAction> OffboardCalls::Offboard(absl::string_view machine_id,
                                                   absl::string_view comment) {
  return Counted<MachineAction>(
      [&] { return api_.Offboard(machine_id, comment); });
}

CountedCall<std::vector<MachineAction>> OffboardCalls::ListOffboardActions(
    absl::Time since, absl::string_view machine_id) {
  return Counted<std::vector<MachineAction>>(
      [&] { return api_.ListOffboardActions(since, machine_id); });
}

CountedCall<std::vector<Machine>> OffboardCalls::ListMachines(
    const std::vector<std::string>& machine_ids) {
  return Counted<std::vector<Machine>>(
      [&] { return api_.ListMachines(machine_ids); });
}

}  // namespace mdefleet::defender

// Collects a device's facts (the inventory the server plans with) through the
// portable Host interface only, so the same code runs on Windows and on the
// simulated host.
#ifndef MDEFLEET_RUNNER_FACTS_FACT_COLLECTOR_H_
#define MDEFLEET_RUNNER_FACTS_FACT_COLLECTOR_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "mdefleet/v1/types.pb.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// The runner's own version (the CMake project version).
std::string RunnerVersion();

// Reads OS facts, the Sense service and OnboardingState, senseGuid, MMA
// (HealthService and its AOI-<workspace> management groups), third-party AV
// services, ForceDefenderPassiveMode, the three proxies (proxy_facts.h) and
// the machine identity. `labels` come
// from the runner's configuration. os_family and mde_state are derived with
// common/os_family.h (the server derives them again). Errors only when the
// host cannot answer (an absent value is a fact, not an error).
[[nodiscard]] absl::StatusOr<v1::DeviceFacts> CollectFacts(
    Host& host, const std::map<std::string, std::string>& labels);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_FACTS_FACT_COLLECTOR_H_

// The effects of the Group Policy onboarding/offboarding .cmd scripts on a
// simulated server; shared by cmd.exe and the Install.ps1 model.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_SCRIPTS_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_SCRIPTS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "runner/host/host.h"
#include "runner/host/sim/sim_machine.h"

namespace mdefleet::runner::sim {

enum class ScriptKind { kOnboarding, kOffboarding, kOther };

// What a .cmd file is, by the markers Microsoft's scripts contain.
ScriptKind ClassifyScript(absl::string_view content);

// Onboarding: writes the OnboardingInfo policy, OnboardingState=1, senseGuid
// and starts Sense. Fails (exit non-zero, stderr) when Sense is not installed.
ProcessResult RunOnboardingScript(SimMachine& machine);

// Offboarding: writes the offboarding policy value, OnboardingState=0 and
// stops Sense. Fails when Sense is not installed.
ProcessResult RunOffboardingScript(SimMachine& machine);

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_SCRIPTS_H_

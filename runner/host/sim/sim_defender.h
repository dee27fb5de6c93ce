// How a simulated server's Defender parts behave beyond the .cmd scripts and
// Install.ps1: the running sensor's files, what a restart changes (Sense
// starts when onboarded and recreates a missing senseGuid; a pending
// ForceDefenderPassiveMode takes effect), and MpCmdRun.exe
// -ValidateMapsConnection.
//
// Passive mode model (seed 003, documented in docs/runner.md):
// ForceDefenderPassiveMode = 1 takes effect when the device is onboarded, or
// at the next start of an onboarded machine: passive mode exists only on
// onboarded devices. An onboarded device with tamper protection on keeps an
// active Defender Antivirus active.
#ifndef MDEFLEET_RUNNER_HOST_SIM_SIM_DEFENDER_H_
#define MDEFLEET_RUNNER_HOST_SIM_SIM_DEFENDER_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runner/host/host.h"
#include "runner/host/sim/sim_files.h"
#include "runner/host/sim/sim_machine.h"

namespace mdefleet::runner::sim {

// The tenant every simulated onboarding script belongs to (Status\OrgId).
inline constexpr absl::string_view kSimOrgId =
    "5b8c9e4a-1d2f-4e6a-9b3c-7d8e9f0a1b2c";

// OnboardingState = 1 and Sense installed: what Install.ps1 reads from
// Sense's Start value (2, automatic, once onboarded).
bool Onboarded(const SimMachine& m);

// OnboardingState = 1 and Sense RUNNING.
bool SensorRunning(const SimMachine& m);

// Whether tamper protection is on (TamperProtection bit 0).
bool TamperProtectionOn(const SimMachine& m);

// Switches Defender Antivirus to the mode ForceDefenderPassiveMode asks for
// (PassiveMode under SOFTWARE\Microsoft\Windows Defender), unless tamper
// protection keeps an active one of an onboarded device active.
void ApplyForcedPassiveMode(SimMachine& m);

// What Get-MpComputerStatus answers on this machine: nothing while
// Defender Antivirus (WinDefend) is not running; AMRunningMode "Passive
// Mode" or "Normal"; tamper protection with "ATP" as its source when on,
// as Defender for Endpoint turns it on (seed 003).
std::optional<DefenderStatus> SimDefenderStatus(const SimMachine& m);

// A restart: Sense starts when the device is onboarded and recreates a
// missing senseGuid; the passive mode setting takes effect.
void ApplyBoot(SimMachine& m);

// The running sensor keeps state files in the Cyber directory: writes them
// when the sensor runs and the directory is empty.
[[nodiscard]] absl::Status SensorWriteFiles(const SimMachine& m,
                                            const SimFiles& files);

// MpCmdRun.exe: only -ValidateMapsConnection is modelled. Answers by the
// Defender Antivirus service, the platform (2012 R2/2016 need the unified
// agent), the effective MAPSReporting and connectivity; failures print the
// HRESULT as MpCmdRun does and exit 2.
ProcessResult RunMpCmdRun(const SimMachine& m, const ProcessRequest& request);

}  // namespace mdefleet::runner::sim

#endif  // MDEFLEET_RUNNER_HOST_SIM_SIM_DEFENDER_H_

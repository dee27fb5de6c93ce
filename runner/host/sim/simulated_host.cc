#include "runner/host/sim/simulated_host.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/enum_names.h"
#include "common/mde_constants.h"
#include "common/random.h"
#include "common/sha256.h"
#include "common/url_list.h"
#include "runner/host/sim/sim_defender.h"
#include "runner/host/sim/sim_network.h"
#include "runner/host/sim/sim_programs.h"
#include "runner/host/sim/sim_zip.h"

namespace mdefleet::runner::sim {
namespace {

constexpr absl::string_view kStateFile = "sim-machine.state";
constexpr absl::string_view kSecretPrefix = "SIMDPAPI1:";

[[nodiscard]] absl::Status ValidateKey(absl::string_view key) {
  return SimRegistry::ValidateKeyPath(key);
}

// XOR keystream from SHA-256 blocks of (key, nonce, counter).
std::string Keystream(absl::string_view key, absl::string_view nonce,
                      size_t size) {
  std::string out;
  for (uint64_t counter = 0; out.size() < size; ++counter) {
    absl::StrAppend(&out, absl::HexStringToBytes(Sha256Hex(
                              absl::StrCat(key, "/", nonce, "/", counter))));
  }
  out.resize(size);
  return out;
}

std::string Xor(absl::string_view a, absl::string_view b) {
  std::string out(a);
  for (size_t i = 0; i < out.size(); ++i) out[i] ^= b[i];
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SimulatedHost>> SimulatedHost::Create(
    SimulatedHostOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.root_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create simulated host root ", options.root_dir,
                     ": ", ec.message()));
  }
  const std::string state_path =
      absl::StrCat(options.root_dir, "/", kStateFile);
  SimFiles disk(options.root_dir);
  SimMachine machine;
  if (std::filesystem::exists(state_path)) {
    std::ifstream in(state_path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    auto loaded = ParseMachine(text);
    if (!loaded.ok()) {
      return absl::DataLossError(
          absl::StrCat(state_path, ": ", loaded.status().message()));
    }
    machine = *std::move(loaded);
  } else {
    if (options.hostname.empty()) {
      return absl::InvalidArgumentError("simulated host: hostname is empty");
    }
    machine =
        MakeMachine(options.profile, options.hostname, options.domain,
                    options.clock->Now() - absl::Hours(3) - absl::Minutes(17));
  }
  for (absl::string_view dir :
       {"C:\\Windows\\System32", "C:\\ProgramData", "C:\\Program Files"}) {
    if (absl::Status s = disk.CreateDirectories(dir); !s.ok()) return s;
  }
  auto host = std::unique_ptr<SimulatedHost>(
      new SimulatedHost(std::move(options), std::move(machine)));
  absl::MutexLock lock(&host->mu_);
  if (absl::Status s = SensorWriteFiles(host->machine_, host->files_);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = host->SaveLocked(); !s.ok()) return s;
  return host;
}

void SimulatedHost::TickLocked() {
  machine_.now = options_.clock->Now();
  machine_.service_start_time = options_.service_start_time;
  machine_.SettleServices(machine_.now);
}

SimulatedHost::SimulatedHost(SimulatedHostOptions options, SimMachine machine)
    : options_(std::move(options)),
      profile_(machine.profile),
      files_(options_.root_dir),
      machine_(std::move(machine)),
      rng_(options_.seed) {}

absl::Status SimulatedHost::SaveLocked() {
  // The state file sits beside the drive folders, outside any Windows path;
  // written atomically like any other file.
  const std::string path = absl::StrCat(options_.root_dir, "/", kStateFile);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << SerializeMachine(machine_);
    out.flush();
    if (!out) {
      return absl::InternalError(absl::StrCat("cannot write ", tmp));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot replace ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

// ---- Registry ----

absl::StatusOr<std::optional<RegistryData>> SimulatedHost::ReadValue(
    absl::string_view key, absl::string_view name) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  return machine_.registry.Read(key, name);
}

absl::Status SimulatedHost::WriteValue(absl::string_view key,
                                       absl::string_view name,
                                       const RegistryData& data) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  machine_.registry.Write(key, name, data);
  return SaveLocked();
}

absl::Status SimulatedHost::DeleteValue(absl::string_view key,
                                        absl::string_view name) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  machine_.registry.DeleteValue(key, name);
  return SaveLocked();
}

absl::StatusOr<bool> SimulatedHost::KeyExists(absl::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  return machine_.registry.KeyExists(key);
}

absl::StatusOr<std::vector<std::string>> SimulatedHost::ListSubkeys(
    absl::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  return machine_.registry.Subkeys(key);
}

absl::Status SimulatedHost::DeleteKey(absl::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  machine_.registry.DeleteKey(key);
  return SaveLocked();
}

// ---- Services ----

absl::StatusOr<v1::ServiceState> SimulatedHost::QueryService(
    absl::string_view name) {
  absl::MutexLock lock(&mu_);
  TickLocked();
  return machine_.ServiceState(name);
}

absl::StatusOr<v1::ServiceState> SimulatedHost::WaitServiceState(
    absl::string_view name, v1::ServiceState state, absl::Duration timeout) {
  auto not_yet = [&](v1::ServiceState seen) {
    return absl::DeadlineExceededError(
        absl::StrCat("service ", name, " is ", ServiceStateName(seen), ", not ",
                     ServiceStateName(state), " (waited ",
                     absl::FormatDuration(timeout), ")"));
  };
  absl::Time running_at;
  {
    absl::MutexLock lock(&mu_);
    TickLocked();
    const v1::ServiceState seen = machine_.ServiceState(name);
    if (seen == state) return seen;
    // Only a pending start changes a state without a program or a test.
    auto pending = machine_.starting.find(absl::AsciiStrToLower(name));
    if (state != v1::SERVICE_STATE_RUNNING ||
        pending == machine_.starting.end()) {
      return not_yet(seen);
    }
    running_at = pending->second;
  }
  const absl::Duration remaining = running_at - options_.clock->Now();
  if (remaining > absl::ZeroDuration()) {
    absl::SleepFor(std::min(remaining, timeout));
  }
  absl::MutexLock lock(&mu_);
  // The start is due when the wait covered it, even on a test's clock that
  // did not move while we slept.
  machine_.SettleServices(remaining <= timeout ? running_at
                                               : options_.clock->Now());
  TickLocked();
  if (absl::Status s = SaveLocked(); !s.ok()) return s;
  const v1::ServiceState seen = machine_.ServiceState(name);
  if (seen == state) return seen;
  return not_yet(seen);
}

void SimulatedHost::SetServiceState(absl::string_view name,
                                    v1::ServiceState state) {
  absl::MutexLock lock(&mu_);
  if (state == v1::SERVICE_STATE_ABSENT) {
    machine_.RemoveService(name);
  } else {
    machine_.SetService(name, state);
  }
  SaveLocked().IgnoreError();
}

// ---- Processes ----

absl::Duration SimulatedHost::DelayFor(const ProcessRequest& request) {
  absl::Duration base;
  switch (WeightOf(request)) {
    case ProgramWeight::kInstaller:
      base = options_.installer_delay;
      break;
    case ProgramWeight::kScript:
      base = options_.script_delay;
      break;
    case ProgramWeight::kQuick:
      base = absl::ZeroDuration();
      break;
  }
  if (base <= absl::ZeroDuration() || options_.jitter <= 0) return base;
  absl::MutexLock lock(&mu_);
  std::uniform_real_distribution<double> dist(1 - options_.jitter,
                                              1 + options_.jitter);
  return base * dist(rng_);
}

absl::StatusOr<ProcessResult> SimulatedHost::RunProcess(
    const ProcessRequest& request) {
  {
    absl::MutexLock lock(&mu_);
    machine_.executions[ExecutionKey(request.program, request.args)].push_back(
        options_.clock->Now());
    if (absl::Status s = SaveLocked(); !s.ok()) return s;
  }
  const absl::Duration delay = DelayFor(request);
  if (delay > request.timeout) {
    absl::SleepFor(request.timeout);
    ProcessResult killed;
    killed.timed_out = true;
    killed.exit_code = -1;
    return killed;
  }
  if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
  absl::MutexLock lock(&mu_);
  TickLocked();
  auto result = RunSimProgram(machine_, files_, request);
  if (absl::Status s = SaveLocked(); !s.ok()) return s;
  // A sensor the program started (onboarding) writes its state files.
  if (absl::Status s = SensorWriteFiles(machine_, files_); !s.ok()) return s;
  return result;
}

int SimulatedHost::ExecutionCount(absl::string_view program,
                                  const std::vector<std::string>& args) const {
  return static_cast<int>(ExecutionTimes(program, args).size());
}

std::vector<absl::Time> SimulatedHost::ExecutionTimes(
    absl::string_view program, const std::vector<std::string>& args) const {
  absl::MutexLock lock(&mu_);
  auto it = machine_.executions.find(ExecutionKey(program, args));
  if (it == machine_.executions.end()) return {};
  return it->second;
}

int SimulatedHost::TotalExecutions() const {
  absl::MutexLock lock(&mu_);
  size_t total = 0;
  for (const auto& [key, times] : machine_.executions) total += times.size();
  return static_cast<int>(total);
}

std::vector<RebootRecord> SimulatedHost::Reboots() const {
  absl::MutexLock lock(&mu_);
  return machine_.reboots;
}

// ---- Files ----

absl::StatusOr<std::string> SimulatedHost::ReadFile(absl::string_view path) {
  return files_.Read(path);
}
absl::Status SimulatedHost::WriteFile(absl::string_view path,
                                      absl::string_view content) {
  return files_.Write(path, content);
}
absl::Status SimulatedHost::CreateDirectories(absl::string_view path) {
  return files_.CreateDirectories(path);
}
absl::Status SimulatedHost::DeleteDirectoryContents(absl::string_view path) {
  return files_.DeleteContents(path);
}
absl::Status SimulatedHost::DeletePath(absl::string_view path) {
  return files_.Delete(path);
}
absl::StatusOr<bool> SimulatedHost::FileExists(absl::string_view path) {
  return files_.Exists(path);
}
absl::StatusOr<std::vector<std::string>> SimulatedHost::ListDirectory(
    absl::string_view path) {
  return files_.List(path);
}
absl::Status SimulatedHost::ExtractZip(absl::string_view archive,
                                       absl::string_view destination) {
  return ExtractSimZip(files_, archive, destination);
}
absl::StatusOr<std::string> SimulatedHost::LinuxPath(
    absl::string_view path) const {
  return files_.Map(path);
}

// ---- Network ----

absl::Status SimulatedHost::CheckUrl(absl::string_view url,
                                     absl::string_view proxy) {
  absl::string_view rest = url;
  const bool ok =
      absl::ConsumePrefix(&rest, "https://") ||
      (IsRevocationEndpoint(url) && absl::ConsumePrefix(&rest, "http://"));
  if (!ok || rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", url, "\" is not an https:// URL"));
  }
  const std::string host(rest.substr(0, rest.find_first_of("/:?#")));
  absl::MutexLock lock(&mu_);
  return SimConnect(machine_, url, host, proxy);
}

absl::StatusOr<WinHttpProxy> SimulatedHost::GetWinHttpProxy() {
  absl::MutexLock lock(&mu_);
  return WinHttpProxy{machine_.winhttp_proxy, machine_.winhttp_bypass};
}

absl::StatusOr<std::string> SimulatedHost::DiscoverProxy(
    absl::string_view url) {
  (void)url;  // one PAC answer for every URL on a simulated network
  absl::MutexLock lock(&mu_);
  return SimDiscoverProxy(machine_);
}

// ---- Defender Antivirus ----

absl::StatusOr<std::optional<DefenderStatus>>
SimulatedHost::GetDefenderStatus() {
  absl::MutexLock lock(&mu_);
  TickLocked();
  return SimDefenderStatus(machine_);
}

// ---- OS ----

absl::StatusOr<OsInfo> SimulatedHost::GetOsInfo() {
  absl::MutexLock lock(&mu_);
  const SimRegistry& r = machine_.registry;
  auto sz = [&](absl::string_view name) -> std::string {
    auto v = r.Read(kCurrentVersionKey, name);
    return v && std::holds_alternative<std::string>(*v)
               ? std::get<std::string>(*v)
               : "";
  };
  auto dw = [&](absl::string_view name) -> std::optional<uint32_t> {
    auto v = r.Read(kCurrentVersionKey, name);
    if (v && std::holds_alternative<uint32_t>(*v))
      return std::get<uint32_t>(*v);
    return std::nullopt;
  };
  OsInfo info;
  info.product = sz("ProductName");
  std::string major_minor = sz("CurrentVersion");
  if (auto major = dw("CurrentMajorVersionNumber")) {
    major_minor =
        absl::StrCat(*major, ".", dw("CurrentMinorVersionNumber").value_or(0));
  }
  const std::string build = sz("CurrentBuildNumber");
  if (!absl::SimpleAtoi(build, &info.build)) {
    return absl::DataLossError("CurrentBuildNumber is missing or malformed");
  }
  info.version =
      absl::StrCat(major_minor, ".", build, ".", dw("UBR").value_or(0));
  info.hostname = machine_.Hostname();
  info.domain = machine_.Domain();
  info.reboot_pending = machine_.RebootPending();
  info.boot_time = machine_.boot_time;
  info.utc_offset_minutes = profile_.utc_offset_minutes;
  auto guid = r.Read(mde::kCryptographyKey, mde::kMachineGuidValue);
  if (guid && std::holds_alternative<std::string>(*guid)) {
    info.machine_identity = std::get<std::string>(*guid);
  }
  return info;
}

absl::Status SimulatedHost::Reboot(absl::string_view reason,
                                   absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = options_.clock->Now();
  machine_.reboots.push_back({std::string(reason), delay, now});
  TickLocked();
  // "noreboot": the request is recorded, the restart never happens.
  if (profile_.reboot_ignored) return SaveLocked();
  machine_.boot_time = now + delay;
  machine_.registry.DeleteKey(mde::kCbsRebootPendingKey);
  machine_.registry.DeleteKey(mde::kWuRebootRequiredKey);
  ApplyBoot(machine_);
  if (absl::Status s = SaveLocked(); !s.ok()) return s;
  return SensorWriteFiles(machine_, files_);
}

// ---- Secrets ----

// The simulated DPAPI machine key: derived from MachineGuid, so a state
// directory copied to another simulated machine cannot be decrypted.
std::string SimulatedHost::SecretKey() {
  absl::MutexLock lock(&mu_);
  auto guid =
      machine_.registry.Read(mde::kCryptographyKey, mde::kMachineGuidValue);
  return Sha256Hex(absl::StrCat("simulated-dpapi/",
                                guid ? DescribeRegistryData(*guid) : ""));
}

absl::StatusOr<std::string> SimulatedHost::ProtectSecret(
    absl::string_view plaintext) {
  const std::string key = SecretKey();
  const std::string nonce = RandomHex(16);
  const std::string cipher =
      Xor(plaintext, Keystream(key, nonce, plaintext.size()));
  const std::string tag =
      Sha256Hex(absl::StrCat(key, "/tag/", nonce, "/", cipher)).substr(0, 32);
  return absl::StrCat(kSecretPrefix, nonce, ":", absl::Base64Escape(cipher),
                      ":", tag);
}

absl::StatusOr<std::string> SimulatedHost::UnprotectSecret(
    absl::string_view protected_data) {
  const std::string key = SecretKey();
  absl::string_view rest = protected_data;
  std::vector<std::string> parts;
  std::string cipher;
  if (absl::ConsumePrefix(&rest, kSecretPrefix)) {
    parts = absl::StrSplit(rest, ':');
  }
  if (parts.size() != 3 || !absl::Base64Unescape(parts[1], &cipher) ||
      Sha256Hex(absl::StrCat(key, "/tag/", parts[0], "/", cipher))
              .substr(0, 32) != parts[2]) {
    return absl::DataLossError(
        "protected secret was not made on this machine or was altered");
  }
  return Xor(cipher, Keystream(key, parts[0], cipher.size()));
}

std::string SimulatedHost::StateDirectory() const {
  return "C:\\ProgramData\\mdefleet";
}

}  // namespace mdefleet::runner::sim

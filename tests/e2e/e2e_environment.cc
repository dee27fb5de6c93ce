#include "tests/e2e/e2e_environment.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "mdefleet/v1/admin.pb.h"
#include "tests/testing/eventually.h"

namespace mdefleet::testing {
namespace {

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string ValueOf(const std::string& text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, key)) return std::string(line);
  }
  return "";
}

// The port a server wrote to `path`; "" until it has.
std::string PortIn(const std::string& path) {
  return std::string(absl::StripAsciiWhitespace(ReadWholeFile(path)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<E2eEnvironment>> E2eEnvironment::Start(
    std::vector<std::string> serve_args, Transport transport,
    std::vector<std::string> server_command_prefix) {
  std::unique_ptr<E2eEnvironment> env(new E2eEnvironment());
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "mdefleet-e2e.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  env->dir_ = tmpl;
  env->serve_args_ = std::move(serve_args);
  env->server_command_prefix_ = std::move(server_command_prefix);
  env->db_path_ = env->dir_ + "/mdefleet.db";
  ProcessOutput init =
      RunCommand({MDEFLEET_SERVER_BIN, "init", "--db", env->db_path_},
                 env->dir_ + "/init");
  if (init.exit_code != 0) {
    return absl::InternalError(absl::StrCat("init failed: ", init.err));
  }
  env->admin_token_ = ValueOf(init.out, "admin_token=");
  std::string secret = ValueOf(init.out, "enrollment_secret=");
  if (env->admin_token_.empty() || secret.empty()) {
    return absl::InternalError(
        absl::StrCat("init printed no credentials: ", init.out));
  }
  if (transport == Transport::kTls) {
    env->ca_cert_path_ = ValueOf(init.out, "ca_certificate=");
    if (env->ca_cert_path_.empty()) {
      return absl::InternalError(
          absl::StrCat("init printed no ca_certificate=: ", init.out));
    }
  } else {
    // Loopback only: what most tests need, and the cheapest.
    env->serve_args_.insert(env->serve_args_.begin(), "--plaintext");
  }
  env->enrollment_secret_path_ = env->dir_ + "/enrollment-secret";
  WriteFile(env->enrollment_secret_path_, secret);
  RETURN_IF_ERROR(env->StartServer("127.0.0.1:0"));
  return env;
}

absl::Status E2eEnvironment::StartServer(const std::string& listen) {
  const std::string port_file = dir_ + "/port";
  const std::string http_port_file = dir_ + "/http.port";
  std::filesystem::remove(port_file);
  std::filesystem::remove(http_port_file);
  // A restart keeps the HTTP port too.
  const std::string http_listen = absl::StrCat("127.0.0.1:", http_port_);
  std::vector<std::string> argv = {MDEFLEET_SERVER_BIN,
                                   "serve",
                                   "--db",
                                   db_path_,
                                   "--listen",
                                   listen,
                                   "--port-file",
                                   port_file,
                                   "--http-listen",
                                   http_listen,
                                   "--http-port-file",
                                   http_port_file};
  // A simulated fleet enrolls hundreds of runners from 127.0.0.1: no
  // per-address budgets, and short polls, unless a test sets them.
  for (const auto& [flag, value] : {std::pair<const char*, const char*>{
                                        "--max-enrollments-per-minute", "0"},
                                    {"--max-auth-failures-per-minute", "0"},
                                    {"--poll-timeout", "5s"}}) {
    if (std::find(serve_args_.begin(), serve_args_.end(), flag) ==
        serve_args_.end()) {
      argv.insert(argv.end(), {flag, value});
    }
  }
  argv.insert(argv.end(), serve_args_.begin(), serve_args_.end());
  argv.insert(argv.begin(), server_command_prefix_.begin(),
              server_command_prefix_.end());
  // Each start logs to a file of its own; server_log() reads the first.
  const std::string log =
      server_ ? absl::StrCat(dir_, "/server-restart-", ++server_restarts_)
              : dir_ + "/server";
  ASSIGN_OR_RETURN(ChildProcess server, ChildProcess::Start(argv, log));
  server_ = std::make_unique<ChildProcess>(std::move(server));
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string port, http_port;
  while (absl::Now() < deadline) {
    // The HTTP port file is written after the gRPC one.
    port = PortIn(port_file);
    http_port = PortIn(http_port_file);
    if (!port.empty() && !http_port.empty()) break;
    // A server that refused its flags has exited: say so now, not at the
    // deadline.
    if (std::optional<ProcessOutput> exited = server_->TryCollect()) {
      return absl::InternalError(
          absl::StrCat("server exited (code ", exited->exit_code,
                       ") before listening: ", exited->err));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  if (port.empty() || !absl::SimpleAtoi(http_port, &http_port_)) {
    return absl::InternalError(
        absl::StrCat("server did not listen: ", ReadWholeFile(log + ".err")));
  }
  server_address_ = absl::StrCat("127.0.0.1:", port);
  return absl::OkStatus();
}

std::string E2eEnvironment::http_base_url() const {
  return absl::StrCat(ca_cert_path_.empty() ? "http" : "https",
                      "://127.0.0.1:", http_port_);
}

std::optional<ProcessOutput> E2eEnvironment::ServerExit() {
  return server_ ? server_->TryCollect() : std::nullopt;
}

void E2eEnvironment::KillServer() {
  if (server_) server_->Stop(SIGKILL, absl::Seconds(10));
}

absl::Status E2eEnvironment::RestartServer() {
  return StartServer(server_address_);
}

E2eEnvironment::~E2eEnvironment() {
  for (auto& runner : runners_) {
    if (runner) runner->Stop(SIGTERM, absl::Seconds(5));
  }
  if (server_) server_->Stop(SIGTERM, absl::Seconds(10));
  if (!dir_.empty() && getenv("MDEFLEET_KEEP_E2E") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string E2eEnvironment::enrollment_secret() const {
  return ReadWholeFile(enrollment_secret_path_);
}

std::string E2eEnvironment::server_log() const {
  return ReadWholeFile(dir_ + "/server.err") +
         ReadWholeFile(dir_ + "/server.out");
}

absl::Status E2eEnvironment::StartRunner(
    const std::string& profile, const std::vector<std::string>& extra_args) {
  const int index = static_cast<int>(runners_.size());
  runner_argv_.push_back({MDEFLEET_RUNNER_BIN, "--server", server_address_,
                          "--enrollment-secret-file", enrollment_secret_path_,
                          "--state-dir", runner_state_dir(index), "--poll-wait",
                          "5s", "--simulate", profile});
  if (!ca_cert_path_.empty()) {
    runner_argv_.back().insert(runner_argv_.back().end(),
                               {"--ca-cert", ca_cert_path_});
  }
  runner_argv_.back().insert(runner_argv_.back().end(), extra_args.begin(),
                             extra_args.end());
  runners_.push_back(nullptr);
  return LaunchRunner(index);
}

absl::StatusOr<int> E2eEnvironment::StartFleet(
    int n, int first, const std::vector<std::string>& extra_args) {
  const int index = static_cast<int>(runners_.size());
  std::vector<std::string> argv = {MDEFLEET_RUNNER_BIN,
                                   "--server",
                                   server_address_,
                                   "--enrollment-secret-file",
                                   enrollment_secret_path_,
                                   "--state-dir",
                                   runner_state_dir(index),
                                   "--poll-wait",
                                   "5s",
                                   "--simulate-fleet",
                                   absl::StrCat(n),
                                   "--fleet-first",
                                   absl::StrCat(first)};
  if (!ca_cert_path_.empty()) {
    argv.insert(argv.end(), {"--ca-cert", ca_cert_path_});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  runner_argv_.push_back(std::move(argv));
  runners_.push_back(nullptr);
  RETURN_IF_ERROR(LaunchRunner(index));
  return index;
}

absl::Status E2eEnvironment::LaunchRunner(int index) {
  std::filesystem::create_directories(runner_state_dir(index));
  ASSIGN_OR_RETURN(ChildProcess runner,
                   ChildProcess::Start(runner_argv_[index],
                                       absl::StrCat(dir_, "/runner", index, "-",
                                                    runner_launches_++)));
  runners_[index] = std::make_unique<ChildProcess>(std::move(runner));
  return absl::OkStatus();
}

void E2eEnvironment::KillRunner(int index) {
  if (runners_[index]) runners_[index]->Stop(SIGKILL, absl::Seconds(10));
}

absl::Status E2eEnvironment::RestartRunner(int index) {
  return LaunchRunner(index);
}

absl::Status E2eEnvironment::WaitForDevices(int count, absl::Duration timeout) {
  v1::ListDevicesResponse devices;
  if (Eventually(
          [&] {
            devices.Clear();
            return CtlJson({"devices", "list"}, &devices).ok() &&
                   devices.devices_size() >= count;
          },
          timeout, absl::Milliseconds(100))) {
    return absl::OkStatus();
  }
  return absl::DeadlineExceededError(
      absl::StrCat("only ", devices.devices_size(), " of ", count,
                   " devices enrolled; server log:\n", server_log()));
}

ProcessOutput E2eEnvironment::Ctl(const std::vector<std::string>& args,
                                  const std::vector<std::string>& env) {
  std::vector<std::string> argv = {MDEFLEET_CTL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> full_env = {
      absl::StrCat("MDEFLEET_SERVER=", server_address_),
      absl::StrCat("MDEFLEET_TOKEN=", admin_token_)};
  if (!ca_cert_path_.empty()) {
    full_env.push_back(absl::StrCat("MDEFLEET_CA_CERT=", ca_cert_path_));
  }
  // A caller's variable replaces the default of the same name (getenv would
  // return the first of two duplicates).
  for (const std::string& entry : env) {
    std::string key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(full_env, [&](const std::string& existing) {
      return existing.starts_with(key);
    });
    full_env.push_back(entry);
  }
  return RunCommand(argv, absl::StrCat(dir_, "/ctl", command_count_++),
                    full_env, absl::Seconds(180));
}

absl::Status E2eEnvironment::CtlJson(const std::vector<std::string>& args,
                                     google::protobuf::Message* message) {
  std::vector<std::string> with_json = args;
  with_json.push_back("-o");
  with_json.push_back("json");
  ProcessOutput out = Ctl(with_json);
  if (out.exit_code != 0) {
    return absl::InternalError(absl::StrCat(
        "mdefleetctl ", absl::StrJoin(args, " "), " failed: ", out.err));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status =
      google::protobuf::util::JsonStringToMessage(out.out, message, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "bad JSON from mdefleetctl: ", status.ToString(), "\n", out.out));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> E2eEnvironment::Upload(const std::string& path,
                                                   const std::string& kind) {
  v1::Artifact artifact;
  RETURN_IF_ERROR(
      CtlJson({"artifacts", "upload", path, "--kind", kind}, &artifact));
  return artifact.id();
}

absl::StatusOr<std::string> E2eEnvironment::UploadOnboardingArtifacts() {
  const std::string samples =
      std::string(MDEFLEET_SOURCE_DIR) + "/deploy/samples";
  // A stand-in md4ws.msi: the OLE compound file header, then filler.
  std::string msi("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  msi.append(4096, '\0');
  const std::string msi_path = dir_ + "/md4ws.msi";
  WriteFile(msi_path, msi);
  RETURN_IF_ERROR(Upload(samples + "/Install.ps1", "install_script").status());
  RETURN_IF_ERROR(Upload(msi_path, "installer_msi").status());
  return Upload(samples + "/WindowsDefenderATPOnboardingScript.cmd",
                "onboarding_script");
}

std::string E2eEnvironment::WriteOffboardingScript(
    const std::string& valid_until) {
  const std::string tmpl = ReadWholeFile(
      std::string(MDEFLEET_SOURCE_DIR) +
      "/deploy/samples/WindowsDefenderATPOffboardingScript_valid_until_"
      "TEMPLATE.cmd");
  const std::string path =
      absl::StrCat(dir_, "/WindowsDefenderATPOffboardingScript_valid_until_",
                   valid_until, ".cmd");
  WriteFile(path, tmpl);
  return path;
}

}  // namespace mdefleet::testing

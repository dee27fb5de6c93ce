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
#include "tests/testing/postgres_cluster.h"

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
  std::vector<std::string> init_argv = {MDEFLEET_SERVER_BIN, "init"};
  if (TestsUsePostgres()) {
    // The run's PostgreSQL cluster (pg.* copies of the tests): a database
    // of its own, and the TLS directory named, as replicas need it.
    ASSIGN_OR_RETURN(PostgresCluster * cluster, PostgresCluster::Shared());
    ASSIGN_OR_RETURN(const std::string name, cluster->CreateUniqueDatabase());
    env->db_path_ = cluster->Url(name);
    env->tls_dir_ = env->dir_ + "/tls";
    init_argv.insert(init_argv.end(), {"--tls-dir", env->tls_dir_});
  } else {
    env->db_path_ = env->dir_ + "/mdefleet.db";
  }
  init_argv.insert(init_argv.end(), {"--db", env->db_path_});
  ProcessOutput init = RunCommand(init_argv, env->dir_ + "/init");
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
  RETURN_IF_ERROR(env->StartServer(0));
  return env;
}

absl::Status E2eEnvironment::StartServer(size_t index) {
  if (index >= servers_.size()) servers_.resize(index + 1);
  Server& server = servers_[index];
  // The first server's files keep their names (tests read them).
  const std::string suffix = index == 0 ? "" : absl::StrCat("-", index);
  const std::string port_file = absl::StrCat(dir_, "/port", suffix);
  const std::string http_port_file = absl::StrCat(dir_, "/http.port", suffix);
  // A restart keeps its ports: runners and the CLI know them.
  const std::string listen =
      server.address.empty() ? std::string("127.0.0.1:0") : server.address;
  std::filesystem::remove(port_file);
  std::filesystem::remove(http_port_file);
  const std::string http_listen = absl::StrCat("127.0.0.1:", server.http_port);
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
  if (!tls_dir_.empty()) argv.insert(argv.end(), {"--tls-dir", tls_dir_});
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
  const std::string log = server.process
                              ? absl::StrCat(dir_, "/server", suffix,
                                             "-restart-", ++server.restarts)
                              : absl::StrCat(dir_, "/server", suffix);
  ASSIGN_OR_RETURN(ChildProcess process, ChildProcess::Start(argv, log));
  server.process = std::make_unique<ChildProcess>(std::move(process));
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string port, http_port;
  while (absl::Now() < deadline) {
    // The HTTP port file is written after the gRPC one.
    port = PortIn(port_file);
    http_port = PortIn(http_port_file);
    if (!port.empty() && !http_port.empty()) break;
    // A server that refused its flags has exited: say so now, not at the
    // deadline.
    if (std::optional<ProcessOutput> exited = server.process->TryCollect()) {
      return absl::InternalError(
          absl::StrCat("server exited (code ", exited->exit_code,
                       ") before listening: ", exited->err));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  if (port.empty() || !absl::SimpleAtoi(http_port, &server.http_port)) {
    return absl::InternalError(
        absl::StrCat("server did not listen: ", ReadWholeFile(log + ".err")));
  }
  server.address = absl::StrCat("127.0.0.1:", port);
  return absl::OkStatus();
}

std::string E2eEnvironment::http_base_url() const {
  return absl::StrCat(ca_cert_path_.empty() ? "http" : "https",
                      "://127.0.0.1:", http_port());
}

std::optional<ProcessOutput> E2eEnvironment::ServerExit() {
  return servers_[0].process ? servers_[0].process->TryCollect() : std::nullopt;
}

void E2eEnvironment::KillServer(size_t index) {
  if (servers_[index].process) {
    servers_[index].process->Stop(SIGKILL, absl::Seconds(10));
  }
}

absl::Status E2eEnvironment::RestartServer(size_t index) {
  return StartServer(index);
}

absl::Status E2eEnvironment::AddServer() {
  if (tls_dir_.empty()) {
    return absl::FailedPreconditionError(
        "a second server needs the PostgreSQL store (MDEFLEET_TEST_STORE)");
  }
  return StartServer(servers_.size());
}

std::string E2eEnvironment::runner_server_target() const {
  if (servers_.size() == 1) return servers_[0].address;
  // gRPC's list of addresses: a runner uses the first that answers and
  // moves to the next when it fails, as with a DNS name of several.
  std::vector<std::string> addresses;
  for (const Server& server : servers_) addresses.push_back(server.address);
  return absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));
}

E2eEnvironment::~E2eEnvironment() {
  for (auto& runner : runners_) {
    if (runner) runner->Stop(SIGTERM, absl::Seconds(5));
  }
  for (Server& server : servers_) {
    if (server.process) server.process->Stop(SIGTERM, absl::Seconds(10));
  }
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
  runner_argv_.push_back(
      {MDEFLEET_RUNNER_BIN, "--server", runner_server_target(),
       "--enrollment-secret-file", enrollment_secret_path_, "--state-dir",
       runner_state_dir(index), "--poll-wait", "5s", "--simulate", profile});
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
                                   runner_server_target(),
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
      absl::StrCat("MDEFLEET_SERVER=", server_address()),
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

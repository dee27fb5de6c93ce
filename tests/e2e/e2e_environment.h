// A real mdefleet deployment for end-to-end tests: a temp folder with the
// SQLite database, the mdefleet-server process on 127.0.0.1:0, simulated
// runner processes, and mdefleetctl invocations. Plaintext on loopback by
// default (serve --plaintext); with Transport::kTls the server serves the
// certificate init made and mdefleetctl and the runners pin init's CA. The
// server also serves the HTTP API on 127.0.0.1:0 (--http-listen): plain HTTP
// or, with kTls, HTTPS with the same certificate.
#ifndef MDEFLEET_TESTS_E2E_E2E_ENVIRONMENT_H_
#define MDEFLEET_TESTS_E2E_E2E_ENVIRONMENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "tests/e2e/child_process.h"

namespace mdefleet::testing {

class E2eEnvironment {
 public:
  enum class Transport { kPlaintext, kTls };

  // Initialises a database in a new temp folder and starts the server, with
  // `serve_args` added to `mdefleet-server serve`.
  // `server_command_prefix` runs the server under another program, e.g.
  // {"/usr/bin/prlimit", "--nofile=200", "--"}.
  static absl::StatusOr<std::unique_ptr<E2eEnvironment>> Start(
      std::vector<std::string> serve_args = {},
      Transport transport = Transport::kPlaintext,
      std::vector<std::string> server_command_prefix = {});
  ~E2eEnvironment();

  // Kills server `index` (0: the first) with SIGKILL, as a crash or power
  // loss would.
  void KillServer(size_t index = 0);
  // The first server's output if it has exited (reaped), else nullopt.
  std::optional<ProcessOutput> ServerExit();
  // Starts server `index` again on the same database and port.
  absl::Status RestartServer(size_t index = 0);
  // Starts another server replica on the same store (PostgreSQL only) on
  // ports of its own; runners started afterwards know every replica.
  absl::Status AddServer();
  // What runners are given as --server: the server's address, or with
  // replicas gRPC's list of them ("ipv4:A,B").
  std::string runner_server_target() const;

  // Starts one `mdefleet-sim-runner --simulate PROFILE` process, with
  // `extra_args` added.
  absl::Status StartRunner(const std::string& profile,
                           const std::vector<std::string>& extra_args = {});
  // Starts `mdefleet-sim-runner --simulate-fleet n --fleet-first first`
  // (servers named ...-<first> to ...-<first+n-1>); returns the runner's index.
  absl::StatusOr<int> StartFleet(int n, int first,
                                 const std::vector<std::string>& extra_args);
  // Kills runner `index` with SIGKILL (mid-step, journal as it is).
  void KillRunner(int index);
  // Starts runner `index` again with the same arguments and state directory.
  absl::Status RestartRunner(int index);
  std::string runner_state_dir(int index) const {
    return absl::StrCat(dir_, "/runner", index);
  }
  // Waits until `count` devices are enrolled.
  absl::Status WaitForDevices(int count, absl::Duration timeout);

  // Runs mdefleetctl with the server address and admin token in its
  // environment (MDEFLEET_SERVER / MDEFLEET_TOKEN, and MDEFLEET_CA_CERT with
  // TLS), plus `env`.
  ProcessOutput Ctl(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {});

  // Runs mdefleetctl with `-o json` and parses its output into `message`.
  absl::Status CtlJson(const std::vector<std::string>& args,
                       google::protobuf::Message* message);

  // Uploads a file as an artifact of `kind`; returns its id.
  absl::StatusOr<std::string> Upload(const std::string& path,
                                     const std::string& kind);
  // Uploads the stand-in Install.ps1, md4ws.msi and onboarding script;
  // returns the onboarding script's id.
  absl::StatusOr<std::string> UploadOnboardingArtifacts();
  // Writes an offboarding script valid until `valid_until` (YYYY-MM-DD) and
  // returns its path.
  std::string WriteOffboardingScript(const std::string& valid_until);

  const std::string& dir() const { return dir_; }
  // The first server's gRPC address (what mdefleetctl is given).
  const std::string& server_address() const { return servers_[0].address; }
  // The HTTP API's port and base URL ("http://127.0.0.1:PORT", or https://
  // with Transport::kTls: pin ca_cert_path()).
  int http_port() const { return servers_[0].http_port; }
  std::string http_base_url() const;
  const std::string& admin_token() const { return admin_token_; }
  // serve's --db: a file, or a postgresql:// URL (MDEFLEET_TEST_STORE).
  const std::string& db_path() const { return db_path_; }
  // init's ca_certificate= path (TLS); "" for plaintext.
  const std::string& ca_cert_path() const { return ca_cert_path_; }
  std::string enrollment_secret() const;
  std::string server_log() const;

 private:
  E2eEnvironment() = default;

  std::string dir_;
  std::string admin_token_;
  std::string enrollment_secret_path_;
  std::string ca_cert_path_;  // TLS only
  std::string tls_dir_;       // named (PostgreSQL); "": next to the file
  // One `serve` process (a replica, with the PostgreSQL store).
  struct Server {
    std::unique_ptr<ChildProcess> process;
    std::string address;  // 127.0.0.1:PORT once listening; kept at restarts
    int http_port = 0;
    int restarts = 0;
  };
  // Starts server `index` (a new one when index == servers_.size()).
  absl::Status StartServer(size_t index);
  absl::Status LaunchRunner(int index);

  std::vector<std::string> serve_args_;
  std::vector<std::string> server_command_prefix_;
  std::string db_path_;
  std::vector<Server> servers_;
  std::vector<std::unique_ptr<ChildProcess>> runners_;
  std::vector<std::vector<std::string>> runner_argv_;
  int command_count_ = 0;
  int runner_launches_ = 0;
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_E2E_E2E_ENVIRONMENT_H_

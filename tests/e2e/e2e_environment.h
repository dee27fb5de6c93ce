// A real mdefleet deployment for end-to-end tests: a temp folder with the
// SQLite database, the mdefleet-server process on 127.0.0.1:0, simulated
// runner processes, and mdefleetctl invocations.
#ifndef MDEFLEET_TESTS_E2E_E2E_ENVIRONMENT_H_
#define MDEFLEET_TESTS_E2E_E2E_ENVIRONMENT_H_

#include <memory>
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
  // Initialises a database in a new temp folder and starts the server.
  static absl::StatusOr<std::unique_ptr<E2eEnvironment>> Start();
  ~E2eEnvironment();

  // Starts one `mdefleet-runner --simulate PROFILE` process.
  absl::Status StartRunner(const std::string& profile);
  // Waits until `count` devices are enrolled.
  absl::Status WaitForDevices(int count, absl::Duration timeout);

  // Runs mdefleetctl with the server address and admin token in its
  // environment (MDEFLEET_SERVER / MDEFLEET_TOKEN), plus `env`.
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
  const std::string& server_address() const { return server_address_; }
  const std::string& admin_token() const { return admin_token_; }
  std::string server_log() const;

 private:
  E2eEnvironment() = default;

  std::string dir_;
  std::string server_address_;
  std::string admin_token_;
  std::string enrollment_secret_path_;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::unique_ptr<ChildProcess>> runners_;
  int command_count_ = 0;
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_E2E_E2E_ENVIRONMENT_H_

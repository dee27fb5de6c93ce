// The runner's main loop for one host: enroll once (identity kept in the
// state directory), then long-poll for tasks, run each one, report every
// step; back off while the server is unreachable; stop on request.
#ifndef MDEFLEET_RUNNER_CLIENT_RUNNER_AGENT_H_
#define MDEFLEET_RUNNER_CLIENT_RUNNER_AGENT_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "runner/client/backoff.h"
#include "runner/client/certificate_renewal.h"
#include "runner/client/grpc_runner_api.h"
#include "runner/client/runner_observer.h"
#include "runner/client/task_runner.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

struct RunnerAgentOptions {
  std::string server_address;
  // PEM of the only CA the server's certificate may chain to; empty:
  // plaintext (the caller allows that only for a loopback server).
  std::string ca_cert_pem;
  // Makes a ClientKeyRequest (`name`: the host name, informational) when the
  // runner enrolls over TLS, so that the server issues it a client
  // certificate. Unset: none is asked for. Injected because the key and CSR
  // come from OpenSSL, which only the Linux build links.
  std::function<absl::StatusOr<ClientKeyRequest>(const std::string& name)>
      make_client_key;
  // The validity of a client certificate (PEM), to renew it when a third of
  // its lifetime is left (certificate_renewal.h). Unset: never renewed.
  // Injected for the same reason as make_client_key.
  std::function<absl::StatusOr<CertificateValidity>(
      const std::string& certificate_pem)>
      certificate_validity;
  std::string enrollment_secret;  // secret: never logged
  std::map<std::string, std::string> labels;
  absl::Duration poll_wait = absl::Seconds(30);
  absl::Duration max_backoff = absl::Seconds(30);
  Clock* clock = Clock::Real();
  uint64_t seed = 1;  // backoff jitter
  // When a task restarts the machine (TaskEnd::kRebooting). Unset (a real
  // host): wait for the machine to go down, i.e. for Stop() from the service
  // being stopped at shutdown, for the restart delay plus kRebootGrace; if it
  // does not, go on polling (the task then fails: the boot time did not
  // change). Set (simulated hosts, whose Reboot() only moves the boot time):
  // simulate the restart, i.e. wait this long (whatever the restart delay),
  // then go on as a freshly started runner, which gets the task again while
  // its lease lives.
  std::optional<absl::Duration> simulated_restart;
  // Told of enrollment, contact, tasks and failures; may be null. Not owned.
  RunnerObserver* observer = nullptr;
};

class RunnerAgent {
 public:
  RunnerAgent(Host& host, RunnerAgentOptions options);

  // Runs until Stop(). Returns an error only when the runner cannot work at
  // all (enrollment refused, unusable state directory).
  [[nodiscard]] absl::Status Run();

  // Asks Run() to return soon: cancels the poll in flight; a task being run
  // stops between steps (its journal lets it resume later).
  void Stop();

  // Log prefix: the host name once known.
  const std::string& name() const { return name_; }

 private:
  [[nodiscard]] absl::Status EnsureEnrolled();
  // Presents the stored client certificate, if any (TLS only).
  [[nodiscard]] absl::Status LoadStoredClientCertificate();
  // The key and CSR to enroll with over TLS; nullopt when none is asked for.
  [[nodiscard]] absl::StatusOr<std::optional<ClientKeyRequest>> NewClientKey();
  // Stores and presents the certificate the server issued with `key`.
  [[nodiscard]] absl::Status AdoptClientCertificate(
      const std::optional<ClientKeyRequest>& key,
      const v1::EnrollResponse& response);
  // The renewal's view of the rest of the runner.
  RenewalHooks MakeRenewalHooks();
  // After a task asked for a restart: waits for it (see
  // RunnerAgentOptions::simulated_restart); returns early on Stop().
  void AwaitRestart(const TaskOutcome& outcome);
  // How long to wait after a failed Enroll or poll: the server's retry delay
  // spread with jitter (dropping the connection meanwhile) when it gave one,
  // else the next exponential backoff.
  absl::Duration WaitAfterFailure(const absl::Status& status, Backoff& backoff);
  // Sleeps `d` unless stopped first; true when stopped.
  bool SleepOrStop(absl::Duration d) {
    return stop_.WaitForNotificationWithTimeout(d);
  }

  Host& host_;
  RunnerAgentOptions options_;
  GrpcRunnerApi api_;
  absl::Notification stop_;
  std::string name_;
  std::unique_ptr<CertificateRenewer> renewer_;
  std::mt19937_64 retry_rng_;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_RUNNER_AGENT_H_

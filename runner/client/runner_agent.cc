#include "runner/client/runner_agent.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "runner/client/backoff.h"
#include "runner/client/identity_store.h"
#include "runner/client/log.h"
#include "runner/client/poll_response.h"
#include "runner/client/reboot_resume.h"
#include "runner/client/task_runner.h"
#include "runner/facts/fact_collector.h"

namespace mdefleet::runner {
namespace {

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  out.set_seconds(absl::ToInt64Seconds(d));
  return out;
}

bool IsTransient(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) ||
         absl::IsResourceExhausted(s) || absl::IsAborted(s) ||
         absl::IsInternal(s) || absl::IsUnknown(s);
}

// Stands in when the options name no observer.
class NoObserver : public RunnerObserver {
 public:
  void Enrolled(absl::string_view, bool) override {}
  void Contacted(absl::Time) override {}
  void WorkingOn(absl::string_view, absl::string_view) override {}
  void Failed(absl::string_view) override {}
};

RunnerObserver& ObserverOf(const RunnerAgentOptions& options) {
  static NoObserver none;
  return options.observer != nullptr ? *options.observer : none;
}

}  // namespace

RunnerAgent::RunnerAgent(Host& host, RunnerAgentOptions options)
    : host_(host),
      options_(std::move(options)),
      api_(options_.server_address, {.ca_cert_pem = options_.ca_cert_pem}),
      retry_rng_(options_.seed + 3) {
  auto os = host_.GetOsInfo();
  name_ = os.ok() ? os->hostname : "runner";
  renewer_ = std::make_unique<CertificateRenewer>(
      name_, *options_.clock, MakeRenewalHooks(), options_.seed + 2);
}

RenewalHooks RunnerAgent::MakeRenewalHooks() {
  RenewalHooks hooks;
  hooks.make_key = options_.make_client_key;
  hooks.renew = [this](const std::string& csr_pem) {
    return api_.RenewClientCertificate(csr_pem);
  };
  hooks.validity = options_.certificate_validity;
  hooks.save = [this](const ClientCertificate& certificate) {
    return SaveRenewedClientCertificate(host_, certificate);
  };
  hooks.use = [this](const ClientCertificate& certificate) {
    api_.UseClientCertificate(certificate.key_pem, certificate.certificate_pem);
  };
  hooks.log = [](absl::string_view line) { LogLine(line); };
  return hooks;
}

void RunnerAgent::Stop() {
  stop_.Notify();
  api_.CancelPending();
}

absl::Status RunnerAgent::LoadStoredClientCertificate() {
  if (!api_.tls()) return absl::OkStatus();
  auto stored = LoadClientCertificate(host_);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    LogLine(absl::StrCat(
        name_,
        ": no client certificate (enrolled without TLS, or the server has no "
        "CA key); a TLS server refuses this runner (unless it runs with "
        "--allow-token-only-runners) until it enrolls again over TLS"));
    return absl::OkStatus();
  }
  api_.UseClientCertificate((*stored)->key_pem, (*stored)->certificate_pem);
  renewer_->Track((*stored)->certificate_pem);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ClientKeyRequest>> RunnerAgent::NewClientKey() {
  if (!api_.tls() || !options_.make_client_key) return std::nullopt;
  auto key = options_.make_client_key(name_);
  if (!key.ok()) {
    return absl::InternalError(absl::StrCat(
        "cannot make a client key for enrollment: ", key.status().message()));
  }
  return *std::move(key);
}

absl::Status RunnerAgent::AdoptClientCertificate(
    const std::optional<ClientKeyRequest>& key,
    const v1::EnrollResponse& response) {
  if (!key.has_value()) return absl::OkStatus();
  if (response.client_certificate_pem().empty()) {
    LogLine(absl::StrCat(name_,
                         ": the server issued no client certificate (it has "
                         "no CA key); going on without one"));
    return absl::OkStatus();
  }
  const ClientCertificate certificate{key->key_pem,
                                      response.client_certificate_pem()};
  if (absl::Status s = SaveClientCertificate(host_, certificate); !s.ok()) {
    return absl::InternalError(absl::StrCat(
        "enrolled as ", response.device_id(),
        " but cannot store the client certificate: ", s.message()));
  }
  api_.UseClientCertificate(certificate.key_pem, certificate.certificate_pem);
  renewer_->Track(certificate.certificate_pem);
  return absl::OkStatus();
}

namespace {

// A damaged identity or client certificate: deleting the files makes this
// machine a new device, flagged duplicate_identity; say how to keep the old
// one.
[[nodiscard]] absl::Status DamagedIdentity(const Host& host,
                                           const absl::Status& status) {
  return absl::DataLossError(absl::StrCat(
      "the runner's identity in ", host.StateDirectory(), " is damaged (",
      status.message(),
      "): to keep this device, run `mdefleetctl devices reset-identity "
      "DEVICE --reason ...` on the server, then delete identity, client.key "
      "and client.pem in the state directory; the runner then enrolls again"));
}

}  // namespace

absl::Status RunnerAgent::EnsureEnrolled() {
  auto stored = LoadIdentity(host_);
  if (absl::IsDataLoss(stored.status())) {
    return DamagedIdentity(host_, stored.status());
  }
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) {
    api_.SetDeviceToken((*stored)->device_token);
    if (absl::Status s = LoadStoredClientCertificate(); !s.ok()) {
      return absl::IsDataLoss(s) ? DamagedIdentity(host_, s) : s;
    }
    LogLine(absl::StrCat(name_, ": using enrollment as device ",
                         (*stored)->device_id));
    ObserverOf(options_).Enrolled((*stored)->device_id, /*newly=*/false);
    return absl::OkStatus();
  }
  auto client_key = NewClientKey();
  if (!client_key.ok()) return client_key.status();
  Backoff backoff(absl::Seconds(1), options_.max_backoff, options_.seed);
  while (!stop_.HasBeenNotified()) {
    auto facts = CollectFacts(host_, options_.labels);
    if (!facts.ok()) return facts.status();
    v1::EnrollRequest request;
    *request.mutable_facts() = *facts;
    if (client_key->has_value()) request.set_csr_pem((*client_key)->csr_pem);
    auto response = api_.Enroll(options_.enrollment_secret, request);
    if (response.ok()) {
      // The certificate first: an identity never points at a missing one.
      if (absl::Status s = AdoptClientCertificate(*client_key, *response);
          !s.ok()) {
        return s;
      }
      RunnerIdentity id{response->device_id(), response->device_token()};
      if (absl::Status s = SaveIdentity(host_, id); !s.ok()) {
        return absl::InternalError(
            absl::StrCat("enrolled as ", id.device_id,
                         " but cannot store the identity: ", s.message()));
      }
      api_.SetDeviceToken(id.device_token);
      LogLine(
          absl::StrCat(name_, ": enrolled as device ", id.device_id,
                       response->client_certificate_pem().empty()
                           ? ""
                           : " (client certificate in the state directory)"));
      ObserverOf(options_).Contacted(options_.clock->Now());
      ObserverOf(options_).Enrolled(id.device_id, /*newly=*/true);
      return absl::OkStatus();
    }
    if (!IsTransient(response.status())) {
      ObserverOf(options_).Failed(absl::StrCat("enrollment refused by ",
                                               options_.server_address, ": ",
                                               response.status().message()));
      return absl::Status(
          response.status().code(),
          absl::StrCat("enrollment refused by ", options_.server_address, ": ",
                       response.status().message(),
                       " (check the enrollment secret)"));
    }
    ObserverOf(options_).Failed(absl::StrCat(
        "server ", options_.server_address,
        " unavailable for enrollment: ", response.status().message()));
    const absl::Duration wait = WaitAfterFailure(response.status(), backoff);
    LogLine(absl::StrCat(
        name_, ": server unavailable for enrollment (",
        response.status().message(), "); retrying in ",
        absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1)))));
    if (SleepOrStop(wait)) break;
  }
  return absl::CancelledError("stopped before enrolling");
}

absl::Duration RunnerAgent::WaitAfterFailure(const absl::Status& status,
                                             Backoff& backoff) {
  std::optional<absl::Duration> after = RetryAfter(status);
  if (!after.has_value()) return backoff.Next();
  // The server is at its connection limit: let go of the connection while
  // waiting, so its descriptor is free for others.
  api_.Reconnect();
  return SpreadRetryAfter(*after, retry_rng_);
}

void RunnerAgent::AwaitRestart(const TaskOutcome& outcome) {
  if (options_.simulated_restart.has_value()) {
    // The simulated machine restarts at once; this is how long it is down.
    const absl::Duration down = *options_.simulated_restart;
    LogLine(absl::StrCat(name_, ": simulating the restart (",
                         absl::FormatDuration(down), ")"));
    if (SleepOrStop(down)) return;
    LogLine(absl::StrCat(name_, ": restarted (simulated)"));
    return;
  }
  const absl::Duration wait = outcome.reboot_delay + kRebootGrace;
  LogLine(absl::StrCat(name_, ": waiting up to ", absl::FormatDuration(wait),
                       " for the machine to restart"));
  if (SleepOrStop(wait)) return;
  LogLine(absl::StrCat(name_, ": the machine did not restart within ",
                       absl::FormatDuration(wait), "; polling again"));
}

absl::Status RunnerAgent::Run() {
  if (absl::Status s = EnsureEnrolled(); !s.ok()) {
    if (absl::IsCancelled(s)) return absl::OkStatus();
    return s;
  }
  Backoff backoff(absl::Milliseconds(500), options_.max_backoff,
                  options_.seed + 1);
  TaskRunnerOptions task_options;
  task_options.clock = options_.clock;
  task_options.stop = &stop_;
  task_options.collect_facts = [this] {
    return CollectFacts(host_, options_.labels);
  };
  while (!stop_.HasBeenNotified()) {
    // At start and between polls: renews the client certificate when a
    // third of its lifetime is left.
    renewer_->MaybeRenew();
    v1::PollTasksRequest request;
    auto facts = CollectFacts(host_, options_.labels);
    if (facts.ok()) {
      *request.mutable_facts() = *std::move(facts);
    } else {
      LogLine(absl::StrCat(
          name_, ": cannot collect facts: ", facts.status().message()));
    }
    *request.mutable_max_wait() = ToProtoDuration(options_.poll_wait);
    auto response = api_.PollTasks(request);
    if (stop_.HasBeenNotified()) break;
    if (!response.ok()) {
      ObserverOf(options_).Failed(absl::StrCat(
          "poll of ", options_.server_address,
          " failed: ", absl::StatusCodeToString(response.status().code()), ": ",
          response.status().message()));
      const absl::Duration wait = WaitAfterFailure(response.status(), backoff);
      LogLine(absl::StrCat(
          name_, ": poll failed (",
          absl::StatusCodeToString(response.status().code()), ": ",
          response.status().message(), "); retrying in ",
          absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1)))));
      if (SleepOrStop(wait)) break;
      continue;
    }
    backoff.Reset();
    RunnerObserver& observer = ObserverOf(options_);
    observer.Contacted(options_.clock->Now());
    if (!response->tasks().empty()) {
      observer.WorkingOn(response->tasks(0).task_id(),
                         response->tasks(0).kind());
    }
    std::optional<TaskOutcome> rebooting = HandlePollResponse(
        *response, host_, api_,
        [this](const v1::LeasedTask& task) {
          return std::make_unique<GrpcArtifactFetcher>(api_, task.task_id(),
                                                       task.lease_id());
        },
        task_options,
        [this](absl::string_view line) {
          LogLine(absl::StrCat(name_, ": ", line));
        });
    if (!response->tasks().empty()) observer.WorkingOn("", "");
    // Other tasks of this poll are delivered again after the restart.
    if (rebooting.has_value()) AwaitRestart(*rebooting);
  }
  LogLine(absl::StrCat(name_, ": stopped"));
  return absl::OkStatus();
}

}  // namespace mdefleet::runner

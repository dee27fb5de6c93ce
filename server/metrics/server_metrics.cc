#include "server/metrics/server_metrics.h"

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mdefleet::metrics {
namespace {

// Registers families in one registry, remembering the last name tried:
// prometheus-cpp throws when it refuses one, without naming it.
class Registrar {
 public:
  explicit Registrar(prometheus::Registry& registry) : registry_(registry) {}

  prometheus::Family<prometheus::Counter>& Counters(const char* name,
                                                    const char* help) {
    return prometheus::BuildCounter().Name(Try(name)).Help(help).Register(
        registry_);
  }
  prometheus::Family<prometheus::Gauge>& Gauges(const char* name,
                                                const char* help) {
    return prometheus::BuildGauge().Name(Try(name)).Help(help).Register(
        registry_);
  }
  prometheus::Family<prometheus::Histogram>& Histograms(const char* name,
                                                        const char* help) {
    return prometheus::BuildHistogram().Name(Try(name)).Help(help).Register(
        registry_);
  }
  const char* last() const { return last_; }

 private:
  const char* Try(const char* name) { return last_ = name; }

  prometheus::Registry& registry_;
  const char* last_ = "";
};

ServerMetrics RegisterOrThrow(Registrar& r) {
  ServerMetrics m;
  m.rpc_requests =
      &r.Counters("mdefleet_rpc_requests_total",
                  "gRPC calls handled, by service, method and status code.");
  m.rpc_duration = &r.Histograms(
      "mdefleet_rpc_duration_seconds",
      "Time from a gRPC call's start to its status (PollTasks includes the "
      "long-poll wait).");
  m.http_requests = &r.Counters(
      "mdefleet_http_requests_total",
      "HTTP requests answered, by route pattern and HTTP status code.");
  m.enrollments = &r.Counters(
      "mdefleet_enrollments_total",
      "Enrollments that passed the enrollment secret and the request checks, "
      "by outcome: new, reenrolled (proven), identity_reset (taken over after "
      "reset-identity), duplicate_identity (claimed a device's host identity "
      "without proof: a new device), refused_scope, refused_revoked, "
      "refused_proof.");
  // Unlabelled: the family's one series, exported from the start.
  m.long_polls_held =
      &r.Gauges("mdefleet_long_polls_held",
                "PollTasks calls open now (waiting for work or being "
                "answered).")
           .Add({});
  m.cluster_duties_held =
      &r.Gauges("mdefleet_cluster_duties_held",
                "1 while this server runs the cluster's once-only work (lease "
                "expiry, rollout timers, the Defender API workers): always on "
                "SQLite, on one replica at a time on PostgreSQL.")
           .Add({});
  m.client_certificate_renewals =
      &r.Counters("mdefleet_client_certificate_renewals_total",
                  "Runner client certificates renewed "
                  "(RenewClientCertificate).")
           .Add({});
  m.sqlite_write_batch_size =
      &r.Histograms("mdefleet_sqlite_write_batch_size",
                    "Writes carried by one group-commit transaction.")
           .Add({}, WriteBatchSizeBuckets());
  m.sqlite_write_seconds =
      &r.Histograms(
            "mdefleet_sqlite_write_seconds",
            "Time one group-commit transaction took, BEGIN to durable COMMIT.")
           .Add({}, WriteLatencyBuckets());
  return m;
}

}  // namespace

std::vector<double> RpcLatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
          0.5,   1,      2.5,   5,    10,    20,   30,  60};
}

std::vector<double> WriteLatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5};
}

std::vector<double> WriteBatchSizeBuckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
}

absl::StatusOr<ServerMetrics> ServerMetrics::Register(
    prometheus::Registry& registry) {
  Registrar registrar(registry);
  try {
    return RegisterOrThrow(registrar);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric ", registrar.last(), ": ", e.what()));
  }
}

}  // namespace mdefleet::metrics

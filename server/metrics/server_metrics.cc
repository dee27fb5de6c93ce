#include "server/metrics/server_metrics.h"

#include "common/status_macros.h"

namespace mdefleet::metrics {

std::vector<double> RpcLatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
          0.5,   1,      2.5,   5,    10,    20,   30,  60};
}

std::vector<double> WriteLatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5};
}

std::vector<double> WriteBatchSizeBuckets() {
  return ExponentialBuckets(1, 2, 11);  // 1, 2, 4, ..., 1024
}

absl::StatusOr<ServerMetrics> ServerMetrics::Register(
    MetricsRegistry& registry) {
  ServerMetrics m;
  ASSIGN_OR_RETURN(
      m.rpc_requests,
      registry.AddCounterFamily<3>(
          "mdefleet_rpc_requests_total",
          "gRPC calls handled, by service, method and status code.",
          {"service", "method", "code"}));
  ASSIGN_OR_RETURN(
      m.rpc_duration,
      registry.AddHistogramFamily<2>(
          "mdefleet_rpc_duration_seconds",
          "Time from a gRPC call's start to its status (PollTasks includes "
          "the long-poll wait).",
          {"service", "method"}, RpcLatencyBuckets()));
  ASSIGN_OR_RETURN(
      m.http_requests,
      registry.AddCounterFamily<2>(
          "mdefleet_http_requests_total",
          "HTTP requests answered, by route pattern and HTTP status code.",
          {"route", "code"}));
  ASSIGN_OR_RETURN(
      m.enrollments,
      registry.AddCounterFamily<1>(
          "mdefleet_enrollments_total",
          "Enrollments that passed the enrollment secret and the request "
          "checks, by outcome: new, reenrolled (proven), identity_reset "
          "(taken over after reset-identity), duplicate_identity (claimed a "
          "device's host identity without proof: a new device), "
          "refused_scope, refused_revoked, refused_proof.",
          {"outcome"}));
  ASSIGN_OR_RETURN(
      m.long_polls_held,
      registry.AddGauge("mdefleet_long_polls_held",
                        "PollTasks calls open now (waiting for work or being "
                        "answered)."));
  ASSIGN_OR_RETURN(
      m.client_certificate_renewals,
      registry.AddCounter("mdefleet_client_certificate_renewals_total",
                          "Runner client certificates renewed "
                          "(RenewClientCertificate)."));
  ASSIGN_OR_RETURN(
      m.sqlite_write_batch_size,
      registry.AddHistogram("mdefleet_sqlite_write_batch_size",
                            "Writes carried by one group-commit transaction.",
                            WriteBatchSizeBuckets()));
  ASSIGN_OR_RETURN(
      m.sqlite_write_seconds,
      registry.AddHistogram(
          "mdefleet_sqlite_write_seconds",
          "Time one group-commit transaction took, BEGIN to durable COMMIT.",
          WriteLatencyBuckets()));
  return m;
}

}  // namespace mdefleet::metrics

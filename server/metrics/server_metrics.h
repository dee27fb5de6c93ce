// The instruments mdefleet-server updates as it works (docs/metrics.md lists
// them). Registered once in serve and handed to the pieces that update them;
// the store-derived gauges are a collector (store_collector.h).
#ifndef MDEFLEET_SERVER_METRICS_SERVER_METRICS_H_
#define MDEFLEET_SERVER_METRICS_SERVER_METRICS_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "server/metrics/metrics_registry.h"

namespace mdefleet::metrics {

// Bucket bounds, in seconds or writes. RPCs go up to 60 s because a
// PollTasks long-poll is held for up to 30 s; SQLite commits (one fsync) from
// 0.1 ms; batches up to the group committer's 1024 writes.
std::vector<double> RpcLatencyBuckets();
std::vector<double> WriteLatencyBuckets();
std::vector<double> WriteBatchSizeBuckets();

struct ServerMetrics {
  // mdefleet_rpc_requests_total{service,method,code}
  Family<Counter, 3>* rpc_requests = nullptr;
  // mdefleet_rpc_duration_seconds{service,method}
  Family<Histogram, 2>* rpc_duration = nullptr;
  // mdefleet_http_requests_total{route,code}, for the HTTP server.
  Family<Counter, 2>* http_requests = nullptr;
  // mdefleet_enrollments_total{outcome}, for RunnerService.Enroll (the
  // outcomes: service::EnrollOutcomeName).
  Family<Counter, 1>* enrollments = nullptr;
  // mdefleet_long_polls_held
  Gauge* long_polls_held = nullptr;
  // mdefleet_client_certificate_renewals_total
  Counter* client_certificate_renewals = nullptr;
  // mdefleet_sqlite_write_batch_size, mdefleet_sqlite_write_seconds
  Histogram* sqlite_write_batch_size = nullptr;
  Histogram* sqlite_write_seconds = nullptr;

  // Registers every instrument in `registry` (which must outlive the result).
  static absl::StatusOr<ServerMetrics> Register(MetricsRegistry& registry);
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_SERVER_METRICS_H_

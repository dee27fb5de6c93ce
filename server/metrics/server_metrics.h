// The instruments mdefleet-server updates as it works (docs/metrics.md lists
// them). Registered once in serve and handed to the pieces that update them;
// the store-derived gauges are a collectable (store_collector.h).
#ifndef MDEFLEET_SERVER_METRICS_SERVER_METRICS_H_
#define MDEFLEET_SERVER_METRICS_SERVER_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <vector>

#include "absl/status/statusor.h"

namespace mdefleet::metrics {

// Bucket bounds, in seconds or writes. RPCs go up to 60 s because a
// PollTasks long-poll is held for up to 30 s; SQLite commits (one fsync) from
// 0.1 ms; batches up to the group committer's 1024 writes.
std::vector<double> RpcLatencyBuckets();
std::vector<double> WriteLatencyBuckets();
std::vector<double> WriteBatchSizeBuckets();

// Pointers into the registry they were registered in, valid for its life.
struct ServerMetrics {
  // mdefleet_rpc_requests_total{service,method,code}
  prometheus::Family<prometheus::Counter>* rpc_requests = nullptr;
  // mdefleet_rpc_duration_seconds{service,method}; children are added with
  // RpcLatencyBuckets().
  prometheus::Family<prometheus::Histogram>* rpc_duration = nullptr;
  // mdefleet_http_requests_total{route,code}, for the HTTP server.
  prometheus::Family<prometheus::Counter>* http_requests = nullptr;
  // mdefleet_enrollments_total{outcome}, for RunnerService.Enroll (the
  // outcomes: service::EnrollOutcomeName).
  prometheus::Family<prometheus::Counter>* enrollments = nullptr;
  // mdefleet_long_polls_held
  prometheus::Gauge* long_polls_held = nullptr;
  // mdefleet_cluster_duties_held: 1 while this server runs lease expiry,
  // rollout timers and the Defender API workers (serve/cluster_duties.h).
  prometheus::Gauge* cluster_duties_held = nullptr;
  // mdefleet_client_certificate_renewals_total
  prometheus::Counter* client_certificate_renewals = nullptr;
  // mdefleet_sqlite_write_batch_size, mdefleet_sqlite_write_seconds
  prometheus::Histogram* sqlite_write_batch_size = nullptr;
  prometheus::Histogram* sqlite_write_seconds = nullptr;

  // Registers every instrument in `registry` (which must outlive the
  // result). InvalidArgument naming the metric when prometheus-cpp refuses
  // one (it throws): a name the registry already holds with another type,
  // or with any type when it was made with InsertBehavior::Throw.
  [[nodiscard]] static absl::StatusOr<ServerMetrics> Register(
      prometheus::Registry& registry);
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_SERVER_METRICS_H_

// Counts and times every gRPC call of the server, whatever its kind (unary,
// streaming, callback): a server interceptor sees each call's start and the
// status it ends with, so the adapters stay unchanged and calls refused
// before a handler runs (PeerGuard's limits) are counted too.
#ifndef MDEFLEET_SERVER_SERVICE_RPC_METRICS_INTERCEPTOR_H_
#define MDEFLEET_SERVER_SERVICE_RPC_METRICS_INTERCEPTOR_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace mdefleet::service {

// Where the interceptor records: requests{service,method,code} and
// duration{service,method} (buckets: metrics::RpcLatencyBuckets()).
struct RpcMetrics {
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  prometheus::Family<prometheus::Histogram>* duration = nullptr;
};

// One method's series, kept once its first call created them (defined in
// the .cc).
class MethodInstruments;

// "/mdefleet.v1.AdminService/GetJob" -> {"mdefleet.v1.AdminService",
// "GetJob"}; a name without that shape -> {"", name}.
std::pair<std::string, std::string> SplitGrpcMethod(absl::string_view method);

// "OK", "NOT_FOUND", ... (the canonical names); unknown codes as numbers.
std::string StatusCodeName(grpc::StatusCode code);

// The "/service/Method" paths of every method of the named services (full
// proto names, e.g. "mdefleet.v1.AdminService"), from the generated pool.
absl::flat_hash_set<std::string> MethodPaths(
    const std::vector<std::string>& services);

class RpcMetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Both families must outlive every call (an asynchronous call's context
  // may outlive the server: declare the registry first). Calls to paths not
  // in `known` are recorded as service="unknown", method="unknown": the path
  // comes from the client, and labels must not take any value a caller sends.
  RpcMetricsInterceptorFactory(RpcMetrics metrics,
                               const absl::flat_hash_set<std::string>& known);
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  // By method path; fixed at construction, so calls read it without a lock.
  // Shared with the calls' interceptors, which may outlive the factory.
  absl::flat_hash_map<std::string, std::shared_ptr<MethodInstruments>> known_;
  const std::shared_ptr<MethodInstruments> unknown_;
};

// For ServerBuilder::experimental().SetInterceptorCreators(): one factory
// knowing the methods of `services`.
std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
RpcMetricsInterceptors(RpcMetrics metrics,
                       const std::vector<std::string>& services);

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_RPC_METRICS_INTERCEPTOR_H_

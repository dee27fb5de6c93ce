#include "server/service/rpc_metrics_interceptor.h"

#include <google/protobuf/descriptor.h>

#include <array>
#include <atomic>
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/metrics/server_metrics.h"

namespace mdefleet::service {

// Resolving a series through prometheus::Family::Add on every call would
// build its label map, allocate a child (dropped when it exists) and take
// the family's lock; a method's series are resolved on first use instead and
// kept here, so a call only increments (and observes under the histogram's
// own lock). Two first calls racing both get the family's one child.
class MethodInstruments {
 public:
  MethodInstruments(RpcMetrics metrics,
                    std::pair<std::string, std::string> method)
      : metrics_(metrics),
        service_(std::move(method.first)),
        method_(std::move(method.second)) {}

  void Record(grpc::StatusCode code, double seconds) {
    if (metrics_.requests != nullptr) {
      Requests(*metrics_.requests, code).Increment();
    }
    if (metrics_.duration != nullptr) {
      Duration(*metrics_.duration).Observe(seconds);
    }
  }

 private:
  prometheus::Counter& Requests(prometheus::Family<prometheus::Counter>& family,
                                grpc::StatusCode code) {
    const size_t index = static_cast<size_t>(code);
    if (index < by_code_.size()) {
      if (prometheus::Counter* known = by_code_[index].load()) return *known;
    }
    prometheus::Counter& counter = family.Add({{"service", service_},
                                               {"method", method_},
                                               {"code", StatusCodeName(code)}});
    if (index < by_code_.size()) by_code_[index].store(&counter);
    return counter;
  }
  prometheus::Histogram& Duration(
      prometheus::Family<prometheus::Histogram>& family) {
    if (prometheus::Histogram* known = duration_.load()) return *known;
    prometheus::Histogram& histogram =
        family.Add({{"service", service_}, {"method", method_}},
                   metrics::RpcLatencyBuckets());
    duration_.store(&histogram);
    return histogram;
  }

  const RpcMetrics metrics_;
  const std::string service_;
  const std::string method_;
  // By grpc::StatusCode, OK (0) to UNAUTHENTICATED (16); other codes are
  // looked up in the family every time.
  std::array<std::atomic<prometheus::Counter*>, 17> by_code_{};
  std::atomic<prometheus::Histogram*> duration_{nullptr};
};

namespace {

using grpc::experimental::InterceptionHookPoints;

// One per call: created when the call starts, records once when its status
// is sent; a call that ends without sending one (the client went away first)
// is recorded as CANCELLED when gRPC destroys the interceptor, which may be
// after the server and its interceptor factory are gone (an asynchronous
// call's context outlives them): hence the shared method.
class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit RpcMetricsInterceptor(std::shared_ptr<MethodInstruments> method)
      : method_(std::move(method)), start_(std::chrono::steady_clock::now()) {}

  ~RpcMetricsInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    if (recorded_) return;
    recorded_ = true;
    method_->Record(code, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start_)
                              .count());
  }

  const std::shared_ptr<MethodInstruments> method_;
  const std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;
};

}  // namespace

std::pair<std::string, std::string> SplitGrpcMethod(absl::string_view method) {
  if (method.size() > 1 && method[0] == '/') {
    const size_t slash = method.find('/', 1);
    if (slash != absl::string_view::npos && slash + 1 < method.size()) {
      return {std::string(method.substr(1, slash - 1)),
              std::string(method.substr(slash + 1))};
    }
  }
  return {"", std::string(method)};
}

std::string StatusCodeName(grpc::StatusCode code) {
  // absl and gRPC share the canonical code numbering and names.
  const std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? absl::StrCat(static_cast<int>(code)) : name;
}

absl::flat_hash_set<std::string> MethodPaths(
    const std::vector<std::string>& services) {
  absl::flat_hash_set<std::string> paths;
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      paths.insert(absl::StrCat("/", name, "/", service->method(i)->name()));
    }
  }
  return paths;
}

RpcMetricsInterceptorFactory::RpcMetricsInterceptorFactory(
    RpcMetrics metrics, const absl::flat_hash_set<std::string>& known)
    : unknown_(std::make_shared<MethodInstruments>(
          metrics,
          std::make_pair(std::string("unknown"), std::string("unknown")))) {
  for (const std::string& path : known) {
    known_.emplace(path, std::make_shared<MethodInstruments>(
                             metrics, SplitGrpcMethod(path)));
  }
}

grpc::experimental::Interceptor*
RpcMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const char* method = info->method();
  auto it = method != nullptr ? known_.find(method) : known_.end();
  // gRPC takes ownership of the interceptor and deletes it with the call.
  return new RpcMetricsInterceptor(it != known_.end() ? it->second : unknown_);
}

std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
RpcMetricsInterceptors(RpcMetrics metrics,
                       const std::vector<std::string>& services) {
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      factories;
  factories.push_back(std::make_unique<RpcMetricsInterceptorFactory>(
      metrics, MethodPaths(services)));
  return factories;
}

}  // namespace mdefleet::service

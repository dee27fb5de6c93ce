#include "server/service/rpc_metrics_interceptor.h"

#include <google/protobuf/descriptor.h>

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mdefleet::service {
namespace {

using grpc::experimental::InterceptionHookPoints;

// One per call: created when the call starts, records once when its status
// is sent; a call that ends without sending one (the client went away first)
// is recorded as CANCELLED when gRPC destroys the interceptor.
class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(const RpcMetrics& metrics, absl::string_view method)
      : metrics_(metrics),
        method_(SplitGrpcMethod(method)),
        start_(std::chrono::steady_clock::now()) {}

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
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
            .count();
    if (metrics_.requests != nullptr) {
      metrics_.requests
          ->With({method_.first, method_.second, StatusCodeName(code)})
          .Increment();
    }
    if (metrics_.duration != nullptr) {
      metrics_.duration->With({method_.first, method_.second}).Observe(seconds);
    }
  }

  const RpcMetrics metrics_;
  const std::pair<std::string, std::string> method_;
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

grpc::experimental::Interceptor*
RpcMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const char* method = info->method();
  const bool known = method != nullptr && known_.contains(method);
  // gRPC takes ownership of the interceptor and deletes it with the call.
  return new RpcMetricsInterceptor(metrics_,
                                   known ? method : "/unknown/unknown");
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

// The HTTP API's routing, without sockets or the HTTP library: a request
// (method, target, Authorization header, peer) in, a response out. Each
// /api/v1 route calls the admin handler (server/service/admin/) the gRPC API
// calls, so both answer the same message; /metrics serves the Prometheus
// text; other paths are the embedded dashboard files. docs/http-api.md lists
// the routes.
#ifndef MDEFLEET_SERVER_HTTP_API_ROUTER_H_
#define MDEFLEET_SERVER_HTTP_API_ROUTER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/auth/authenticator.h"
#include "server/http/http_message.h"
#include "server/http/query_params.h"
#include "server/service/admin/admin_handlers.h"
#include "server/service/peer_guard.h"

namespace mdefleet::http {

// Both callbacks are called from the HTTP server's worker threads,
// concurrently.
struct RouterOptions {
  // The Prometheus text exposition of /metrics; empty: /metrics answers 404
  // "metrics are not enabled".
  std::function<std::string()> render_metrics;
  // Called after every request with the matched route's pattern
  // ("/api/v1/jobs/{id}", "/metrics", "/index.html"; "unmatched" for no
  // route, so the label set stays bounded) and the HTTP status.
  std::function<void(absl::string_view route, int status)> on_request;
};

class ApiRouter {
 public:
  ApiRouter(service::AdminHandlers& admin, auth::Authenticator& auth,
            service::PeerGuard& guard, RouterOptions options)
      : admin_(admin),
        auth_(auth),
        guard_(guard),
        options_(std::move(options)) {}

  // Answers one request; never fails (errors are JSON responses):
  // - only GET and HEAD (else 405 with "Allow: GET, HEAD");
  // - the dashboard files need no credential; /api/v1 and /metrics need an
  //   API token of the viewer role or higher, checked before the query:
  //   401 without one or with an unknown/revoked/expired one, 403 for a
  //   runner's device token or enrollment secret;
  // - every credentialed request passes the caller's address through
  //   PeerGuard like a gRPC call: failed authentications count against the
  //   same budget, and an address over it gets 429;
  // - 400 for an unknown or malformed parameter, naming it; 404 for an
  //   unknown route or id.
  HttpResponse Handle(const HttpRequest& request);

 private:
  enum class Kind {
    kSummary,
    kJobs,
    kJob,
    kJobTasks,
    kJobEvidence,
    kDevices,
    kDevice,
    kMetrics,
    kAsset,
    kUnmatched
  };
  struct Route {
    Kind kind = Kind::kUnmatched;
    absl::string_view pattern = "unmatched";
    std::string id{};  // {id} of the path, when it has one
  };

  static Route Match(absl::string_view path);
  HttpResponse Answer(const HttpRequest& request, const Route& route,
                      absl::string_view query);
  // Ok when the Authorization header holds an API token whose role allows
  // AdminService.`method` ("" for /metrics: the viewer role).
  [[nodiscard]] absl::Status Authenticate(absl::string_view authorization,
                                          absl::string_view method);
  // The handler's answer for an authenticated API or metrics request.
  [[nodiscard]] absl::StatusOr<HttpResponse> Dispatch(
      const Route& route, const QueryParams& params,
      absl::string_view authorization);

  service::AdminHandlers& admin_;
  auth::Authenticator& auth_;
  service::PeerGuard& guard_;
  RouterOptions options_;
};

}  // namespace mdefleet::http

#endif  // MDEFLEET_SERVER_HTTP_API_ROUTER_H_

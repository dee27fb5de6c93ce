// The request and response of the HTTP API as plain values, so the routing
// (api_router.h) is testable without a socket or the HTTP library.
#ifndef MDEFLEET_SERVER_HTTP_HTTP_MESSAGE_H_
#define MDEFLEET_SERVER_HTTP_HTTP_MESSAGE_H_

#include <string>
#include <utility>
#include <vector>

namespace mdefleet::http {

struct HttpRequest {
  std::string method{};  // "GET", "HEAD", "POST", ...
  // The request target as sent: path and query, not decoded
  // ("/api/v1/jobs?state=running").
  std::string target{};
  std::string authorization{};  // the Authorization header; "" when absent
  // The caller's address in gRPC's peer form ("ipv4:10.0.0.5:51234",
  // "ipv6:[fd00::1]:443"), so PeerGuard counts HTTP and gRPC calls of one
  // address together (http_peer.h).
  std::string peer{};
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 200;
  std::string content_type{};
  std::string body{};
  HttpHeaders headers{};  // besides Content-Type and the security headers
};

inline constexpr char kJsonContentType[] = "application/json; charset=utf-8";
inline constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// Sent with every response, errors included. The CSP allows the dashboard's
// own files only: no inline script or style, no eval, nothing from
// elsewhere, no framing; API answers are never cached (they are per token).
inline HttpHeaders SecurityHeaders() {
  return {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src "
       "'self' data:; connect-src 'self'; base-uri 'none'; form-action "
       "'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-store"},
  };
}

}  // namespace mdefleet::http

#endif  // MDEFLEET_SERVER_HTTP_HTTP_MESSAGE_H_

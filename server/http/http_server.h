// The HTTP listener of `serve --http-listen`: cpp-httplib (the only file
// that uses it is http_server.cc) in front of ApiRouter, plain HTTP or HTTPS
// with the gRPC port's certificate, on threads of its own. The library
// parses requests; the connection itself (TLS, reads against a deadline,
// connections per address) is ours, so a slow or greedy client cannot hold
// the port (HttpLimits).
#ifndef MDEFLEET_SERVER_HTTP_HTTP_SERVER_H_
#define MDEFLEET_SERVER_HTTP_HTTP_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/http/api_router.h"
#include "server/service/log.h"

namespace mdefleet::http {

// What one client can hold of the HTTP port.
struct HttpLimits {
  // Connections one address (IPv6: one /64) may have open at once; a further
  // one is closed as soon as a worker picks it up, before anything is read.
  int64_t connections_per_address = 16;
  // A request's line and headers (and the TLS handshake of a new
  // connection) must arrive within this, however slowly the bytes trickle;
  // a slower connection is closed. The response must be taken within this
  // plus 30 s.
  absl::Duration header_deadline = absl::Seconds(10);
  // Connections served at once (one worker thread each), and accepted
  // connections that may wait for a worker; beyond those a new connection
  // is closed at once.
  int worker_threads = 64;
  int max_waiting = 256;
};

struct HttpServerOptions {
  std::string listen{};  // HOST:PORT or [V6]:PORT; port 0 picks a free one
  // PEM certificate (chain: the server's first) and its private key: HTTPS
  // when set, plain HTTP when both are empty. The caller decides when plain
  // HTTP is acceptable (server/tls/serve_tls.h: loopback only).
  std::string certificate_pem{};
  std::string key_pem{};  // secret
  HttpLimits limits{};
  // Where refused connections are logged (rate-limited); nullptr: a limiter
  // of the server's own.
  LogLimiter* log = nullptr;
};

class HttpApiServer {
 public:
  // Binds `options.listen` and serves `router` (which must outlive the
  // server) until Stop. InvalidArgument naming --http-listen for a malformed
  // address or a bad certificate/key, Unavailable when it cannot bind.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HttpApiServer>> Start(
      const HttpServerOptions& options, ApiRouter& router);
  ~HttpApiServer();  // Stop()

  HttpApiServer(const HttpApiServer&) = delete;
  HttpApiServer& operator=(const HttpApiServer&) = delete;

  int port() const;
  bool tls() const;
  // Stops accepting connections and waits for the listener thread.
  // Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdefleet::http

#endif  // MDEFLEET_SERVER_HTTP_HTTP_SERVER_H_

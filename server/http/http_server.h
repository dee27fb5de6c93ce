// The HTTP listener of `serve --http-listen`: cpp-httplib (the only file
// that uses it is http_server.cc) in front of ApiRouter, plain HTTP or HTTPS
// with the gRPC port's certificate, on threads of its own.
#ifndef MDEFLEET_SERVER_HTTP_HTTP_SERVER_H_
#define MDEFLEET_SERVER_HTTP_HTTP_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/http/api_router.h"

namespace mdefleet::http {

struct HttpServerOptions {
  std::string listen{};  // HOST:PORT or [V6]:PORT; port 0 picks a free one
  // PEM certificate (chain: the server's first) and its private key: HTTPS
  // when set, plain HTTP when both are empty. The caller decides when plain
  // HTTP is acceptable (server/tls/serve_tls.h: loopback only).
  std::string certificate_pem{};
  std::string key_pem{};  // secret
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

#include "server/http/http_server.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/tls/openssl_handles.h"
#include "common/tls/pem.h"
#include "server/http/http_peer.h"
#include "server/http/json_reply.h"

namespace mdefleet::http {
namespace {

// Bodies are never read (the API is GET only): a POST gets its 405 without
// the server buffering megabytes first.
constexpr size_t kMaxPayload = 64 << 10;

struct HostPort {
  std::string host;
  int port = 0;
};

absl::StatusOr<HostPort> ParseListen(absl::string_view listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http-listen ", listen,
                     ": expected HOST:PORT (e.g. 127.0.0.1:8080, "
                     "[::1]:8080, 0.0.0.0:8443; port 0 picks one)"));
  }
  absl::string_view host = listen.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http-listen ", listen, ": an IPv6 address needs its ']'"));
  }
  return HostPort{host.empty() ? "0.0.0.0" : std::string(host), port};
}

// The server certificate, the rest of its chain and the key, parsed before
// the listener exists so a bad file is an error naming it.
struct TlsPair {
  tls::UniqueX509 leaf;
  std::vector<tls::UniqueX509> chain;
  tls::UniqueEvpPkey key;
};

absl::StatusOr<TlsPair> ParseTlsPair(const HttpServerOptions& options) {
  TlsPair pair;
  ASSIGN_OR_RETURN(pair.leaf, tls::ParseCertificatePem(options.certificate_pem,
                                                       "HTTPS certificate"));
  tls::UniqueBio bio(
      BIO_new_mem_buf(options.certificate_pem.data(),
                      static_cast<int>(options.certificate_pem.size())));
  if (bio == nullptr) {
    return tls::OpenSslError(absl::StatusCode::kInternal, "HTTPS certificate");
  }
  tls::UniqueX509 skipped_leaf(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  while (X509* next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    pair.chain.emplace_back(next);
  }
  tls::ClearOpenSslErrors();  // the end of the PEM text leaves one
  ASSIGN_OR_RETURN(pair.key,
                   tls::ParsePrivateKeyPem(options.key_pem, "HTTPS key"));
  return pair;
}

// TLS 1.2 or newer with the pair; false (the server is then not valid) when
// OpenSSL refuses it.
bool ConfigureTls(SSL_CTX& ctx, TlsPair& pair) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate(&ctx, pair.leaf.get()) != 1) return false;
  for (tls::UniqueX509& cert : pair.chain) {
    // Takes ownership on success.
    if (SSL_CTX_add_extra_chain_cert(&ctx, cert.get()) != 1) return false;
    (void)cert.release();
  }
  return SSL_CTX_use_PrivateKey(&ctx, pair.key.get()) == 1 &&
         SSL_CTX_check_private_key(&ctx) == 1;
}

// JSON for the errors the library answers itself (malformed requests, a
// request target or body too large), which never reach the router.
HttpResponse LibraryError(int status) {
  switch (status) {
    case 400:
      return ErrorReply(400, "INVALID_ARGUMENT",
                        "request: malformed HTTP or an unknown method");
    case 413:
      return ErrorReply(413, "PAYLOAD_TOO_LARGE",
                        "request: the API takes no request body");
    case 414:
      return ErrorReply(414, "URI_TOO_LONG",
                        "request: the target is longer than 8192 bytes");
    case 416:
      return ErrorReply(416, "RANGE_NOT_SATISFIABLE",
                        "Range: outside the response");
    default:
      return ErrorReply(status, absl::StrCat("HTTP_", status),
                        "request: refused");
  }
}

void Fill(HttpResponse response, httplib::Response& out) {
  out.status = response.status;
  for (auto& [name, value] : response.headers) out.set_header(name, value);
  out.set_content(response.body, response.content_type);
}

}  // namespace

struct HttpApiServer::Impl {
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  int port = 0;
  bool tls = false;
};

HttpApiServer::HttpApiServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

HttpApiServer::~HttpApiServer() { Stop(); }

int HttpApiServer::port() const { return impl_->port; }
bool HttpApiServer::tls() const { return impl_->tls; }

void HttpApiServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server->stop();
  impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<HttpApiServer>> HttpApiServer::Start(
    const HttpServerOptions& options, ApiRouter& router) {
  ASSIGN_OR_RETURN(const HostPort where, ParseListen(options.listen));
  auto impl = std::make_unique<Impl>();
  if (options.certificate_pem.empty() && options.key_pem.empty()) {
    impl->server = std::make_unique<httplib::Server>();
  } else {
    ASSIGN_OR_RETURN(TlsPair pair, ParseTlsPair(options));
    impl->server = std::make_unique<httplib::SSLServer>(
        [&pair](SSL_CTX& ctx) { return ConfigureTls(ctx, pair); });
    impl->tls = true;
    if (!impl->server->is_valid()) {
      return tls::OpenSslError(
          absl::StatusCode::kInvalidArgument,
          "--http-listen: the server certificate and key for HTTPS");
    }
  }
  httplib::Server& server = *impl->server;
  httplib::Headers security;
  for (auto& [name, value] : SecurityHeaders()) security.emplace(name, value);
  server.set_default_headers(std::move(security));
  server.set_payload_max_length(kMaxPayload);
  // SO_REUSEADDR only (a restart may bind the port again at once), not the
  // library's default SO_REUSEPORT, which would let a second process bind
  // the same port beside this one.
  server.set_socket_options([](int socket) {
    const int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Each connection holds one of the library's worker threads while it is
  // open: keep idle and slow clients short (the library's 5 s defaults).
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_timeout(5);
  const auto handle = [&router](const httplib::Request& request,
                                httplib::Response& response) {
    Fill(router.Handle(
             {.method = request.method,
              .target = request.target,
              .authorization = request.get_header_value("Authorization"),
              .peer = GrpcStylePeer(request.remote_addr, request.remote_port)}),
         response);
  };
  // Every method reaches the router, which answers 405 for all but GET.
  server.Get(".*", handle);
  server.Post(".*", handle);
  server.Put(".*", handle);
  server.Patch(".*", handle);
  server.Delete(".*", handle);
  server.Options(".*", handle);
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        Fill(LibraryError(response.status), response);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler([](const httplib::Request&,
                                  httplib::Response& response,
                                  std::exception_ptr) {
    Fill(ErrorReply(absl::InternalError("exception in an HTTP handler")),
         response);
  });
  impl->port =
      where.port == 0
          ? server.bind_to_any_port(where.host)
          : (server.bind_to_port(where.host, where.port) ? where.port : -1);
  if (impl->port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("--http-listen: cannot listen on ", options.listen));
  }
  impl->thread = std::thread([&server] { server.listen_after_bind(); });
  // stop() before the thread runs would be lost: wait until it listens.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!server.is_running() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return std::unique_ptr<HttpApiServer>(new HttpApiServer(std::move(impl)));
}

}  // namespace mdefleet::http

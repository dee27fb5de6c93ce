#include "server/http/http_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "common/status_macros.h"
#include "common/tls/openssl_handles.h"
#include "common/tls/pem.h"
#include "server/http/http_peer.h"
#include "server/http/json_reply.h"
#include "server/service/peer_guard.h"

namespace mdefleet::http {
namespace {

// Bodies are never read (the API is GET only): a POST gets its 405 without
// the server buffering megabytes first.
constexpr size_t kMaxPayload = 64 << 10;

[[nodiscard]] absl::StatusOr<HostPort> ParseListen(absl::string_view listen) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(listen, kListenAddressForm);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http-listen: ", parsed.status().message()));
  }
  if (parsed->host.empty()) parsed->host = "0.0.0.0";
  parsed->host = std::string(BareHost(*parsed));
  return parsed;
}

// The server certificate, the rest of its chain and the key, parsed before
// the listener exists so a bad file is an error naming it.
struct TlsPair {
  tls::UniqueX509 leaf;
  std::vector<tls::UniqueX509> chain;
  tls::UniqueEvpPkey key;
};

[[nodiscard]] absl::StatusOr<TlsPair> ParseTlsPair(
    const HttpServerOptions& options) {
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

// How long the response to a request may take to be read by the client,
// beyond the header deadline.
constexpr absl::Duration kResponseTime = absl::Seconds(30);
// Longest single wait, so Stop() is noticed promptly.
constexpr absl::Duration kWaitSlice = absl::Milliseconds(200);

// Set while the listener thread runs a connection's task itself because
// the queue is full: the connection is closed without being served.
thread_local bool t_shed_connection = false;

// The library's ThreadPool with a bound on waiting connections: beyond it,
// the task (which closes its socket, see t_shed_connection) runs at once.
class BoundedTaskQueue final : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(int threads, size_t max_waiting)
      : max_waiting_(max_waiting) {
    for (int i = 0; i < std::max(threads, 1); ++i) {
      threads_.emplace_back([this] { Work(); });
    }
  }

  void enqueue(std::function<void()> fn) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      // A full queue mostly holds connections a worker closes at once (over
      // their address's share, which is only known to the worker): give the
      // workers a moment to drain them, or one address's burst would push
      // out another address's connection on a loaded machine.
      room_.wait_for(lock, kShedGrace,
                     [&] { return shutdown_ || jobs_.size() < max_waiting_; });
      if (jobs_.size() < max_waiting_) {
        jobs_.push_back(std::move(fn));
        fn = nullptr;
      }
    }
    if (fn == nullptr) {
      cv_.notify_one();
      return;
    }
    t_shed_connection = true;
    fn();
    t_shed_connection = false;
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void Work() {
    while (true) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // shut down, nothing left
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      room_.notify_one();
      fn();
    }
  }

  static constexpr std::chrono::milliseconds kShedGrace{250};
  const size_t max_waiting_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable room_;  // a job was taken
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

// Open connections per address key.
class ConnectionCounts {
 public:
  explicit ConnectionCounts(int64_t per_address) : per_address_(per_address) {}
  // False (nothing counted) when `key` already has per_address open.
  bool Enter(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t& open = open_[key];
    if (open >= per_address_) return false;
    ++open;
    return true;
  }
  void Leave(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = open_.find(key);
    if (it != open_.end() && --it->second <= 0) open_.erase(it);
  }

 private:
  const int64_t per_address_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, int64_t> open_;
};

// The numeric address and port of a socket's peer or own end.
bool AddressOf(int sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  const int got =
      peer
          ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&address), &length)
          : ::getsockname(sock, reinterpret_cast<sockaddr*>(&address), &length);
  if (got != 0) return false;
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host,
                    sizeof(host), service, sizeof(service),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  ip = host;
  port = std::atoi(service);
  return true;
}

// One connection, plain or TLS, on a non-blocking socket: every wait is a
// poll() bounded by the per-read/per-write timeout and by the current
// request's deadline, so trickling bytes cannot keep a connection (and its
// worker) forever, as they can with per-recv timeouts alone.
class DeadlineStream final : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  DeadlineStream(int sock, SSL* ssl, std::chrono::microseconds read_timeout,
                 std::chrono::microseconds write_timeout,
                 const std::atomic<socket_t>& listener)
      : sock_(sock),
        ssl_(ssl),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout),
        listener_(listener) {}

  // A new request starts: its headers must arrive by `read_deadline`, its
  // response be taken by `write_deadline`.
  void StartRequest(Clock::time_point read_deadline,
                    Clock::time_point write_deadline) {
    read_deadline_ = read_deadline;
    write_deadline_ = write_deadline;
  }

  // The current request ran out of time (the library then answers 400 or
  // gives up): the connection is not worth keeping.
  bool deadline_passed() const { return deadline_passed_; }

  // Bytes are waiting (buffered here, in TLS, or on the socket) within
  // `wait`; false when the server stops.
  bool WaitForRequest(std::chrono::microseconds wait) {
    if (Buffered()) return true;
    return Wait(POLLIN, Clock::now() + wait, Clock::time_point::max());
  }

  bool is_readable() const override {
    return Buffered() ||
           const_cast<DeadlineStream*>(this)->Wait(
               POLLIN, Clock::now() + read_timeout_, read_deadline_);
  }
  bool is_writable() const override {
    return const_cast<DeadlineStream*>(this)->Wait(
        POLLOUT, Clock::now() + write_timeout_, write_deadline_);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 0) return 0;
    if (begin_ == end_) {
      const ssize_t filled = Fill();
      if (filled <= 0) return -1;
    }
    const size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, buffer_ + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (size == 0) return 0;
    const Clock::time_point give_up = Clock::now() + write_timeout_;
    while (true) {
      if (ssl_ != nullptr) {
        ERR_clear_error();
        const int n = SSL_write(
            ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
        if (n > 0) return n;
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_WANT_WRITE) {
          if (!Wait(POLLOUT, give_up, write_deadline_)) return -1;
          continue;
        }
        if (error == SSL_ERROR_WANT_READ) {
          if (!Wait(POLLIN, give_up, write_deadline_)) return -1;
          continue;
        }
        return -1;
      }
      const ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!Wait(POLLOUT, give_up, write_deadline_)) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (!AddressOf(sock_, true, ip, port)) {
      ip.clear();
      port = 0;
    }
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (!AddressOf(sock_, false, ip, port)) {
      ip.clear();
      port = 0;
    }
  }
  socket_t socket() const override { return sock_; }

  // Waits until `events` on the socket, giving up at `until` or `deadline`
  // (whichever comes first) or when the server stops.
  bool Wait(short events, Clock::time_point until, Clock::time_point deadline) {
    const Clock::time_point end = std::min(until, deadline);
    while (true) {
      if (listener_ == INVALID_SOCKET) return false;  // stopping
      const Clock::time_point now = Clock::now();
      if (now >= deadline) deadline_passed_ = true;
      if (now >= end) return false;
      const auto slice = std::min<Clock::duration>(
          end - now, absl::ToChronoMilliseconds(kWaitSlice));
      pollfd fd{.fd = sock_, .events = events, .revents = 0};
      const int ready = ::poll(
          &fd, 1,
          static_cast<int>(
              std::chrono::ceil<std::chrono::milliseconds>(slice).count()));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
  }

 private:
  bool Buffered() const {
    return begin_ != end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0);
  }

  // Reads what is there into the buffer, waiting (bounded) for some.
  ssize_t Fill() {
    begin_ = end_ = 0;
    const Clock::time_point give_up = Clock::now() + read_timeout_;
    while (true) {
      if (ssl_ != nullptr) {
        ERR_clear_error();
        const int n = SSL_read(ssl_, buffer_, sizeof(buffer_));
        if (n > 0) {
          end_ = static_cast<size_t>(n);
          return n;
        }
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_WANT_READ) {
          if (!Wait(POLLIN, give_up, read_deadline_)) return -1;
          continue;
        }
        if (error == SSL_ERROR_WANT_WRITE) {
          if (!Wait(POLLOUT, give_up, read_deadline_)) return -1;
          continue;
        }
        return -1;  // closed or broken
      }
      const ssize_t n = ::recv(sock_, buffer_, sizeof(buffer_), 0);
      if (n > 0) {
        end_ = static_cast<size_t>(n);
        return n;
      }
      if (n == 0) return -1;  // closed
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!Wait(POLLIN, give_up, read_deadline_)) return -1;
    }
  }

  const int sock_;
  SSL* const ssl_;
  const std::chrono::microseconds read_timeout_;
  const std::chrono::microseconds write_timeout_;
  const std::atomic<socket_t>& listener_;
  Clock::time_point read_deadline_ = Clock::time_point::max();
  Clock::time_point write_deadline_ = Clock::time_point::max();
  bool deadline_passed_ = false;
  char buffer_[4096];
  size_t begin_ = 0;
  size_t end_ = 0;
};

// httplib::Server with the connection handled here: the library's
// process_and_close_socket (a virtual it calls for every accepted socket)
// is replaced, and only its request parsing and routing (process_request)
// are used. Plain HTTP without an SSL_CTX, HTTPS with one.
class BoundedServer final : public httplib::Server {
 public:
  BoundedServer(const HttpLimits& limits, SSL_CTX* ctx, LogLimiter& log)
      : limits_(limits),
        ctx_(ctx),
        log_(log),
        counts_(std::max<int64_t>(limits.connections_per_address, 1)) {
    new_task_queue = [this] {
      return new BoundedTaskQueue(
          limits_.worker_threads,
          static_cast<size_t>(std::max(limits_.max_waiting, 0)));
    };
  }
  ~BoundedServer() override { SSL_CTX_free(ctx_); }

  bool tls() const { return ctx_ != nullptr; }

 private:
  bool process_and_close_socket(socket_t sock) override {
    const auto close_socket = absl::MakeCleanup([sock] {
      ::shutdown(sock, SHUT_RDWR);
      ::close(sock);
    });
    std::string ip;
    int port = 0;
    if (!AddressOf(sock, true, ip, port)) return false;
    const std::string key = service::PeerKey(GrpcStylePeer(ip, port));
    if (t_shed_connection) {
      log_.Log(absl::StrCat("http: connection from ", key,
                            " closed unserved: ", limits_.worker_threads,
                            " connections are being served and ",
                            limits_.max_waiting, " are waiting"));
      return false;
    }
    if (!counts_.Enter(key)) {
      log_.Log(absl::StrCat(
          "http: connection from ", key, " closed unserved: it already has ",
          limits_.connections_per_address,
          " open (mdefleet-server serve --http-max-connections-per-address)"));
      return false;
    }
    const auto leave = absl::MakeCleanup([&] { counts_.Leave(key); });
    const int flags = ::fcntl(sock, F_GETFL, 0);
    if (flags < 0 || ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) != 0) {
      return false;
    }
    using Clock = DeadlineStream::Clock;
    const auto header_time =
        absl::ToChronoMicroseconds(limits_.header_deadline);
    const auto response_time =
        header_time + absl::ToChronoMicroseconds(kResponseTime);
    const std::chrono::microseconds read_timeout(read_timeout_sec_ * 1000000 +
                                                 read_timeout_usec_);
    const std::chrono::microseconds write_timeout(write_timeout_sec_ * 1000000 +
                                                  write_timeout_usec_);
    SSL* ssl = nullptr;
    const auto free_ssl = absl::MakeCleanup([&ssl] {
      if (ssl != nullptr) SSL_free(ssl);
    });
    DeadlineStream stream(sock, nullptr, read_timeout, write_timeout,
                          svr_sock_);
    const Clock::time_point connected = Clock::now();
    if (ctx_ != nullptr) {
      ssl = SSL_new(ctx_);
      if (ssl == nullptr || SSL_set_fd(ssl, sock) != 1) return false;
      // The handshake counts against the first request's header deadline.
      while (true) {
        ERR_clear_error();
        const int accepted = SSL_accept(ssl);
        if (accepted == 1) break;
        const int error = SSL_get_error(ssl, accepted);
        const short events = error == SSL_ERROR_WANT_READ    ? POLLIN
                             : error == SSL_ERROR_WANT_WRITE ? POLLOUT
                                                             : 0;
        if (events == 0 || !stream.Wait(events, connected + header_time,
                                        connected + header_time)) {
          ERR_clear_error();
          return false;
        }
      }
    }
    DeadlineStream tls_stream(sock, ssl, read_timeout, write_timeout,
                              svr_sock_);
    DeadlineStream& io = ssl != nullptr ? tls_stream : stream;
    bool ok = false;
    bool first = true;
    for (size_t left = keep_alive_max_count_; left > 0; --left) {
      if (!first &&
          !io.WaitForRequest(std::chrono::seconds(keep_alive_timeout_sec_))) {
        break;
      }
      const Clock::time_point start = first ? connected : Clock::now();
      first = false;
      io.StartRequest(start + header_time, start + response_time);
      bool connection_closed = false;
      ok = process_request(io, /*close_connection=*/left == 1,
                           connection_closed, nullptr);
      if (!ok || connection_closed || io.deadline_passed()) break;
    }
    if (ssl != nullptr) {
      ERR_clear_error();
      SSL_shutdown(ssl);  // best effort: the socket is non-blocking
      ERR_clear_error();
    }
    return ok;
  }

  const HttpLimits limits_;
  SSL_CTX* const ctx_;
  LogLimiter& log_;
  ConnectionCounts counts_;
};

}  // namespace

struct HttpApiServer::Impl {
  std::optional<LogLimiter> own_log;
  // A BoundedServer, held as its public base: a member of a type in this
  // file's anonymous namespace would give Impl internal linkage parts.
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
  LogLimiter* log = options.log;
  if (log == nullptr) {
    log = &impl->own_log.emplace(*Clock::Real(), "refused HTTP connections", 10,
                                 absl::Minutes(1));
  }
  SSL_CTX* ctx = nullptr;
  if (!options.certificate_pem.empty() || !options.key_pem.empty()) {
    ASSIGN_OR_RETURN(TlsPair pair, ParseTlsPair(options));
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr || !ConfigureTls(*ctx, pair)) {
      SSL_CTX_free(ctx);
      return tls::OpenSslError(
          absl::StatusCode::kInvalidArgument,
          "--http-listen: the server certificate and key for HTTPS");
    }
    // Writes are retried from where they stopped on a non-blocking socket.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    impl->tls = true;
  }
  impl->server = std::make_unique<BoundedServer>(options.limits, ctx, *log);
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
  // Each connection holds one of the worker threads while it is open: keep
  // idle and slow clients short (the library's 5 s defaults, per wait; the
  // header deadline bounds a whole request, see BoundedServer).
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

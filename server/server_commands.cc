#include "server/server_commands.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/auth/authenticator.h"
#include "server/serve/fleet_server.h"
#include "server/service/log.h"
#include "server/service/shutdown_deadline.h"
#include "server/store/credentials.h"
#include "server/store/migrations.h"
#include "server/store/postgres/migrate_store.h"
#include "server/store/store.h"
#include "server/store/time_util.h"
#include "server/tls/serve_tls.h"
#include "server/tls/tls_dir.h"

namespace mdefleet {
namespace {

// How long a stop may take: gRPC cancels the calls in flight after 3 s, and a
// handler that does not check (a long SubmitJob) gets the rest before the
// process exits anyway (shutdown_deadline.h). Exit codes: SIGTERM or SIGINT
// whose stop did not finish, and the listener out of descriptors.
constexpr absl::Duration kShutdownGrace = absl::Seconds(10);
constexpr int kExitStopTooSlow = 4;
constexpr int kExitListenerDeaf = 3;

[[nodiscard]] absl::Status WritePortFile(
    const std::string& path, int port, absl::string_view flag = "--port-file") {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.good()) {
      return absl::FailedPreconditionError(
          absl::StrCat(flag, ": cannot write ", tmp));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, ": cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

// The host of a HOST:PORT for the log line.
std::string HostOf(const std::string& listen) {
  return listen.substr(0, listen.rfind(':'));
}

std::string Hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

// What init tells the operator about the TLS directory it made (stderr).
void DescribeTlsDir(const std::string& dir,
                    const server_tls::TlsMaterial& material) {
  const server_tls::TlsDirPaths paths = server_tls::PathsIn(dir);
  if (material.ca_cert_pem.empty()) {
    std::fprintf(
        stderr,
        "mdefleet-server: copied your certificate and key to %s and %s. "
        "Runners and mdefleetctl must pin the CA that issued it (--ca-cert). "
        "There is no mdefleet CA, so runners get no client certificates and "
        "serve --mtls is unavailable.\n",
        paths.server_cert.c_str(), paths.server_key.c_str());
    return;
  }
  std::string names;
  for (const std::string& name : material.server_names) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", name);
  }
  std::fprintf(
      stderr,
      "mdefleet-server: created the TLS directory %s: a private CA (ca.pem, "
      "ca.key) and a server certificate (server.pem, server.key) for %s. Give "
      "ca.pem to runners and mdefleetctl (--ca-cert); keep ca.key secret: it "
      "can issue certificates for the server and any runner. Other names: "
      "init --san.\n",
      dir.c_str(), names.c_str());
}

}  // namespace

absl::Status RunInit(const InitOptions& options) {
  const Clock& clock = *Clock::Real();
  const std::string& db_path = options.db_path;
  ASSIGN_OR_RETURN(const std::string tls_dir,
                   server_tls::TlsDirectory(db_path, options.tls_dir));
  // Made in memory first: a bad --san or --tls-cert writes nothing.
  ASSIGN_OR_RETURN(const server_tls::TlsMaterial tls,
                   server_tls::PrepareTls({.dir = tls_dir,
                                           .sans = options.sans,
                                           .cert_file = options.tls_cert,
                                           .key_file = options.tls_key,
                                           .hostname = Hostname()},
                                          clock.Now()));
  const mode_t old_mask = ::umask(077);  // the database holds secrets' hashes
  absl::StatusOr<std::unique_ptr<store::Store>> opened =
      store::Store::Open(db_path, store::OpenMode::kCreate, clock);
  ::umask(old_mask);
  if (!opened.ok()) return opened.status();
  store::Store& db = **opened;
  const std::string admin = RandomToken(auth::kApiPrefix, 32);
  const std::string enroll = RandomToken(auth::kEnrollmentPrefix, 32);
  const int64_t now = store::ToMicros(clock.Now());
  RETURN_IF_ERROR(db.Write([&](store::Connection& c) -> absl::Status {
    return store::InsertBootstrapCredentials(c, Sha256Hex(admin),
                                             Sha256Hex(enroll), now);
  }));
  if (absl::Status written = server_tls::WriteTlsDir(tls_dir, tls);
      !written.ok()) {
    return absl::Status(
        written.code(),
        absl::StrCat(written.message(), ". The database ", db.display(),
                     " was created but is unusable without its credentials: "
                     "remove it and ",
                     tls_dir, ", then run init again"));
  }
  // Scripts parse these lines: the first two keep their order and form.
  std::printf("admin_token=%s\nenrollment_secret=%s\n", admin.c_str(),
              enroll.c_str());
  if (!tls.ca_cert_pem.empty()) {
    std::printf("ca_certificate=%s\n",
                AbsolutePath(server_tls::PathsIn(tls_dir).ca_cert).c_str());
  }
  std::fflush(stdout);
  std::fprintf(stderr,
               "mdefleet-server: created %s (schema version %d). The admin "
               "token and enrollment secret above are shown once; only their "
               "hashes are stored. Keep them safe.\n",
               db.display().c_str(), db.schema_version());
  DescribeTlsDir(tls_dir, tls);
  return absl::OkStatus();
}

namespace {

// The lines scripts, tests and operators wait for, then the port files:
// written once the lines are in the log.
[[nodiscard]] absl::Status AnnounceServing(const ServeOptions& options,
                                           const serve::FleetServer& server) {
  const server_tls::ServeTls& tls = server.flags().tls;
  LogEvent(absl::StrCat("listening on ", HostOf(options.listen), ":",
                        server.grpc_port(), ": ", tls.description));
  LogEvent(absl::StrCat(
      "runner authentication: ", tls.runner_authentication,
      tls.issuer != nullptr
          ? absl::StrCat(
                "; client certificates issued for ",
                absl::FormatDuration(options.client_certificate_lifetime),
                ", renewed by runners before they "
                "expire")
          : ""));
  if (!tls.warning.empty()) LogEvent(absl::StrCat("WARNING: ", tls.warning));
  if (!options.port_file.empty()) {
    RETURN_IF_ERROR(WritePortFile(options.port_file, server.grpc_port()));
  }
  if (options.http_listen.empty()) return absl::OkStatus();
  LogEvent(absl::StrCat("http: listening on ", HostOf(options.http_listen), ":",
                        server.http_port(), ": ",
                        server.http_tls()
                            ? "HTTPS with the gRPC port's certificate"
                            : "plaintext HTTP (loopback only)"));
  if (!options.http_port_file.empty()) {
    RETURN_IF_ERROR(WritePortFile(options.http_port_file, server.http_port(),
                                  "--http-port-file"));
  }
  return absl::OkStatus();
}

sigset_t ServeStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR2);
  return signals;
}

// Blocked in every thread (BlockServeStopSignals), so only this wait sees
// them.
int WaitForStopSignal() {
  const sigset_t signals = ServeStopSignals();
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  return signal_number;
}

}  // namespace

void BlockServeStopSignals() {
  const sigset_t signals = ServeStopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

absl::Status RunServe(const ServeOptions& options) {
  // A dead listener cannot be revived in process: the wait below wakes on
  // SIGUSR2 and serve exits non-zero, so the service manager restarts it
  // (never up and deaf).
  ASSIGN_OR_RETURN(
      std::unique_ptr<serve::FleetServer> server,
      serve::FleetServer::Start(options, *Clock::Real(), [](absl::string_view) {
        kill(getpid(), SIGUSR2);
      }));
  RETURN_IF_ERROR(AnnounceServing(options, *server));
  const int signal_number = WaitForStopSignal();
  if (signal_number == SIGUSR2) {
    LogEvent(absl::StrCat(
        "the gRPC listener stopped accepting connections (",
        server->open_descriptors(), " descriptors open, limit ",
        server->flags().open_files.soft,
        "): exiting with an error so the service manager restarts the "
        "server"));
    // Shutting down can hang without descriptors; the restart matters more.
    service::ShutdownDeadline deadline(
        kShutdownGrace, service::ExitProcessOnExpiry(kExitListenerDeaf));
    server->Stop();
    return absl::UnavailableError(
        "the gRPC listener stopped accepting connections (out of file "
        "descriptors)");
  }
  LogEvent(absl::StrCat("received ",
                        signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
                        ": shutting down"));
  // A call that ignores its cancellation must not keep a stopped server up.
  service::ShutdownDeadline deadline(
      kShutdownGrace, service::ExitProcessOnExpiry(kExitStopTooSlow));
  server->Stop();
  LogEvent("stopped");
  return absl::OkStatus();
}

absl::Status RunMigrateStore(const MigrateStoreOptions& options) {
  ASSIGN_OR_RETURN(const store::postgres::MigrateStoreReport report,
                   store::postgres::MigrateStore(
                       options.from, options.to, *Clock::Real(),
                       [](absl::string_view table, int64_t rows) {
                         std::fprintf(stderr, "copying %.*s: %lld rows\n",
                                      static_cast<int>(table.size()),
                                      table.data(),
                                      static_cast<long long>(rows));
                       }));
  std::fputs(store::postgres::FormatMigrateStoreReport(report).c_str(), stdout);
  std::fflush(stdout);
  if (!report.ok()) {
    return absl::DataLossError(
        "the copy committed but a table's rows differ from the source's "
        "(see the table above); do not serve from the copy");
  }
  return absl::OkStatus();
}

}  // namespace mdefleet

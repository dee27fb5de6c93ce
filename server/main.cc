// mdefleet-server: `init` creates the database and prints the credentials;
// `serve` runs the gRPC services; `migrate-store` copies a SQLite store into
// PostgreSQL.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/duration_text.h"
#include "common/tls/certificate_authority.h"
#include "server/server_commands.h"

namespace {

// CLI11 validator for positive durations in the grammar every mdefleet
// command and the HTTP API share (common/duration_text.h): "30s", "10m",
// "1h30m", "1d", "2w".
struct DurationValidator : public CLI::Validator {
  DurationValidator() {
    name_ = "DURATION";
    func_ = [](std::string& text) -> std::string {
      absl::StatusOr<absl::Duration> d =
          mdefleet::ParseDurationText(text, "duration");
      if (!d.ok()) return std::string(d.status().message());
      if (*d <= absl::ZeroDuration()) {
        return "expected a positive duration such as 30s, 10m or 1d, got \"" +
               text + "\"";
      }
      return "";
    };
  }
};

absl::Duration ParseOrDie(const std::string& text) {
  // Validated by DurationValidator.
  return *mdefleet::ParseDurationText(text, "duration");
}

// The command line of serve as typed: durations stay text until parsed
// (after CLI11 validated them).
struct ServeCommandLine {
  mdefleet::ServeOptions options;
  std::string lease = "10m";
  std::string poll = "30s";
  std::string online = "90s";
  std::string client_certificate_lifetime = "366d";
  std::string evidence_retention = "30d";
  std::string defender_poll = "30s";
  std::string defender_confirm = "30m";

  // The options with the durations filled in.
  mdefleet::ServeOptions Parsed() const;
};

const DurationValidator kDuration;

CLI::App* AddInitCommand(CLI::App& app, mdefleet::InitOptions& o) {
  CLI::App* init = app.add_subcommand(
      "init",
      "Create a database, a private CA and a server certificate; print the "
      "admin token, enrollment secret and CA certificate path (once)");
  init->add_option("--db", o.db_path, "Database file to create")->required();
  init->add_option("--tls-dir", o.tls_dir,
                   "Directory to create for the CA and server certificate "
                   "(default: <db>.tls)");
  init->add_option("--san", o.sans,
                   "Extra DNS name or IP address of the server certificate "
                   "(repeatable; localhost, 127.0.0.1, ::1 and the hostname "
                   "are always in)");
  auto* init_cert = init->add_option(
      "--tls-cert", o.tls_cert,
      "Your own server certificate (PEM, with --tls-key) instead of a new CA");
  auto* init_key = init->add_option("--tls-key", o.tls_key,
                                    "Private key of --tls-cert (PEM)");
  init_cert->needs(init_key);
  init_key->needs(init_cert);
  return init;
}

// Where serve listens and how it secures its ports.
void AddServeTransportFlags(CLI::App& serve, ServeCommandLine& c) {
  serve.add_option("--db", c.options.db_path, "Database file")->required();
  serve
      .add_option("--listen", c.options.listen,
                  "HOST:PORT to listen on (port 0 picks a free port)")
      ->required();
  serve.add_option("--port-file", c.options.port_file,
                   "Write the bound port here once listening");
  serve.add_option(
      "--http-listen", c.options.http_listen,
      "HOST:PORT of the read-only HTTP/JSON API, /metrics and the dashboard "
      "(port 0 picks a free port; off when not given). HTTPS with the gRPC "
      "certificate; without TLS only on a loopback address");
  auto* http_port_file =
      serve.add_option("--http-port-file", c.options.http_port_file,
                       "Write the bound HTTP port here once listening");
  serve.add_option("--tls-dir", c.options.tls_dir,
                   "TLS directory made by init (default: <db>.tls)");
  auto* serve_cert = serve.add_option(
      "--tls-cert", c.options.tls_cert,
      "Server certificate (PEM) instead of the TLS directory's server.pem");
  auto* serve_key = serve.add_option("--tls-key", c.options.tls_key,
                                     "Private key of --tls-cert (PEM)");
  serve_cert->needs(serve_key);
  serve_key->needs(serve_cert);
  auto* plaintext =
      serve.add_flag("--plaintext", c.options.plaintext,
                     "Serve without TLS (only on a loopback --listen address)");
  auto* mtls = serve.add_flag(
      "--mtls", c.options.mtls,
      "Require runners to present the client certificate issued at "
      "enrollment (the default with TLS; kept for existing scripts)");
  auto* token_only = serve.add_flag(
      "--allow-token-only-runners", c.options.allow_token_only_runners,
      "Accept runner calls with a device token alone, without the device's "
      "client certificate (a copied token then works from any host; logged "
      "as a warning). For migrating runners that have no certificate");
  plaintext->excludes(serve_cert)->excludes(mtls);
  mtls->excludes(token_only);
  serve
      .add_option("--client-certificate-lifetime",
                  c.client_certificate_lifetime,
                  "Lifetime of the client certificates issued to runners "
                  "(e.g. 366d, 90d, 10m); runners renew theirs when less "
                  "than a third of it is left")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            absl::StatusOr<absl::Duration> d =
                mdefleet::ParseDurationText(text, "duration");
            if (!d.ok()) return std::string(d.status().message());
            if (*d < mdefleet::tls::kMinClientValidity ||
                *d > mdefleet::tls::kCaValidity) {
              return "must be between 10s and ten years (the CA's own "
                     "lifetime), got \"" +
                     text + "\"";
            }
            return "";
          },
          "DURATION"))
      ->capture_default_str();
  http_port_file->needs(serve.get_option("--http-listen"));
}

// Leases, polls, what counts as online, and how long evidence is kept.
void AddServeTimingFlags(CLI::App& serve, ServeCommandLine& c) {
  serve
      .add_option("--evidence-retention", c.evidence_retention,
                  "How long the evidence of failed steps (their output and "
                  "the MSI and Install.ps1 logs, `mdefleetctl jobs logs`) "
                  "is kept, e.g. 30d, 90d; 0 keeps it forever")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            if (text == "0") return "";
            absl::StatusOr<absl::Duration> d =
                mdefleet::ParseDurationText(text, "--evidence-retention");
            if (!d.ok()) return std::string(d.status().message());
            if (*d < absl::Hours(1)) {
              return "--evidence-retention: at least 1h (or 0: forever), "
                     "got \"" +
                     text + "\"";
            }
            return "";
          },
          "DURATION"))
      ->capture_default_str();
  serve
      .add_option("--lease-duration", c.lease,
                  "How long a task lease lasts without reports")
      ->check(kDuration)
      ->capture_default_str();
  serve
      .add_option("--poll-timeout", c.poll,
                  "Longest a PollTasks long-poll is held")
      ->check(kDuration)
      ->capture_default_str();
  serve
      .add_option("--online-window", c.online,
                  "A device seen within this is online")
      ->check(kDuration)
      ->capture_default_str();
}

// What one caller, and all of them together, may hold or do.
void AddServeLimitFlags(CLI::App& serve, ServeCommandLine& c) {
  serve
      .add_option("--max-enrollments-per-minute",
                  c.options.peer_limits.enrollments_per_minute,
                  "Failing Enroll calls (bad secret, refused facts, revoked "
                  "host) one address, and one enrollment secret, may make "
                  "per minute before further failing ones are answered "
                  "RESOURCE_EXHAUSTED (0: no limit). Successful enrollments "
                  "are not counted")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve
      .add_option("--max-auth-failures-per-minute",
                  c.options.peer_limits.auth_failures_per_minute,
                  "Calls refused for their credential (unknown, revoked, "
                  "expired) one address, and one credential, may make per "
                  "minute before further failing ones are answered "
                  "RESOURCE_EXHAUSTED (0: no limit). Calls with a valid "
                  "credential are never refused for it")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve
      .add_option("--max-watch-streams-per-token",
                  c.options.watch_streams.per_credential,
                  "WatchJob streams one API token may hold open at once "
                  "(0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve
      .add_option("--max-watch-streams", c.options.watch_streams.total,
                  "WatchJob streams the server holds open at once, all "
                  "tokens together (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve
      .add_option(
          "--max-connections", c.options.max_connections,
          "Open descriptors (about one per connected runner) at which "
          "enrollments and polls are refused with RESOURCE_EXHAUSTED and a "
          "retry delay, so a herd of runners spreads out before the process "
          "runs out of descriptors (0: the open-files limit, raised to the "
          "hard limit at start, minus a reserve of up to 1024)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve
      .add_option(
          "--max-tasks-in-flight", c.options.max_tasks_in_flight,
          "Tasks leased or running across the fleet, all jobs together, at "
          "most: a fleet-wide job without --max-in-flight starts this many "
          "devices, then one more as each finishes, instead of every device "
          "at once (0: no cap)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve
      .add_option("--http-max-connections-per-address",
                  c.options.http_limits.connections_per_address,
                  "HTTP connections one address (IPv6: one /64) may hold "
                  "open at once; further ones are closed at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

// The Defender for Endpoint API (api_offboard, onboard's confirmation) and
// the tenant's workspace ids.
void AddServeDefenderFlags(CLI::App& serve, ServeCommandLine& c) {
  serve
      .add_option("--defender-api-url", c.options.defender_api_url,
                  "Defender for Endpoint API base URL (api_offboard)")
      ->capture_default_str();
  serve
      .add_option("--defender-login-url", c.options.defender_login_url,
                  "Microsoft Entra login base URL (OAuth token endpoint)")
      ->capture_default_str();
  serve.add_option("--defender-tenant-id", c.options.defender_tenant_id,
                   "Entra tenant id of the api_offboard app");
  serve.add_option("--defender-client-id", c.options.defender_client_id,
                   "Application (client) id of the Entra app with "
                   "Machine.Offboard and Machine.Read.All");
  serve.add_option("--defender-client-secret-file",
                   c.options.defender_client_secret_file,
                   "File holding the app's client secret (kept out of the "
                   "process list)");
  serve.add_option(
      "--mde-workspace-id", c.options.mde_workspace_ids,
      "The tenant's Defender for Endpoint workspace id (the portal's id for "
      "the previous, MMA-based onboarding method); repeatable. Only it stops "
      "onboard and is what migrate_mma removes: other MMA workspaces (Log "
      "Analytics, Sentinel) are left alone. Kept in the database: omit to "
      "keep the stored ids, \"none\" to forget them. Changes are audited");
  serve
      .add_option("--defender-poll-interval", c.defender_poll,
                  "How often outstanding machine actions are looked up, and "
                  "how often onboard asks Defender whether a device is "
                  "listed Active")
      ->check(kDuration)
      ->capture_default_str();
  serve
      .add_option("--defender-confirm-timeout", c.defender_confirm,
                  "With the Defender API: how long after an onboard's "
                  "runner steps Defender has to list the device Active "
                  "with a fresh lastSeen before the task fails "
                  "(confirm_in_defender)")
      ->check(kDuration)
      ->capture_default_str();
}

CLI::App* AddMigrateStoreCommand(CLI::App& app,
                                 mdefleet::MigrateStoreOptions& o) {
  CLI::App* migrate = app.add_subcommand(
      "migrate-store",
      "Copy a SQLite store (every table) into an empty PostgreSQL database "
      "and compare the row counts; the SQLite file is only read. Stop serve "
      "first");
  migrate->add_option("--from", o.from, "The SQLite store's file")->required();
  migrate
      ->add_option("--to", o.to,
                   "The PostgreSQL database: postgresql://user@host:port/"
                   "dbname (no password: libpq reads ~/.pgpass)")
      ->required();
  return migrate;
}

void AddServeCommand(CLI::App& app, ServeCommandLine& c) {
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve the gRPC API (and, with --http-listen, the HTTP API)");
  AddServeTransportFlags(*serve, c);
  AddServeTimingFlags(*serve, c);
  AddServeLimitFlags(*serve, c);
  AddServeDefenderFlags(*serve, c);
}

mdefleet::ServeOptions ServeCommandLine::Parsed() const {
  mdefleet::ServeOptions o = options;
  o.lease_duration = ParseOrDie(lease);
  o.poll_timeout = ParseOrDie(poll);
  o.online_window = ParseOrDie(online);
  o.defender_poll_interval = ParseOrDie(defender_poll);
  o.evidence_retention = evidence_retention == "0"
                             ? absl::ZeroDuration()
                             : *mdefleet::ParseDurationText(
                                   evidence_retention, "--evidence-retention");
  o.defender_confirm_timeout = ParseOrDie(defender_confirm);
  o.client_certificate_lifetime = *mdefleet::ParseDurationText(
      client_certificate_lifetime, "--client-certificate-lifetime");
  return o;
}

// Debian's Abseil checks every Mutex acquisition for lock-order cycles
// unless told otherwise; under load that was the server's top symbol
// (GraphCycles::GetId). Debug builds keep it, and so does a release build
// run with MDEFLEET_MUTEX_DEADLOCK_DETECTION=1 (to chase a hang, or to
// measure what it costs: tests/bench/fleet_bench.py).
void SetMutexDeadlockDetection() {
#ifdef NDEBUG
  const char* detect = std::getenv("MDEFLEET_MUTEX_DEADLOCK_DETECTION");
  if (detect == nullptr || std::string(detect) != "1") {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  SetMutexDeadlockDetection();
  CLI::App app{
      "mdefleet-server: the mdefleet gRPC server with its embedded "
      "SQLite store"};
  app.require_subcommand(1);
  mdefleet::InitOptions init_options;
  CLI::App* init = AddInitCommand(app, init_options);
  ServeCommandLine serve;
  AddServeCommand(app, serve);
  mdefleet::MigrateStoreOptions migrate_options;
  CLI::App* migrate = AddMigrateStoreCommand(app, migrate_options);
  CLI11_PARSE(app, argc, argv);

  absl::Status status;
  if (*init) {
    status = mdefleet::RunInit(init_options);
  } else if (*migrate) {
    status = mdefleet::RunMigrateStore(migrate_options);
  } else {
    mdefleet::BlockServeStopSignals();
    status = mdefleet::RunServe(serve.Parsed());
  }
  if (!status.ok()) {
    std::fprintf(stderr, "mdefleet-server: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

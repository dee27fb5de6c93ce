// How `mdefleet-server serve` secures its port: TLS with the certificate of
// the TLS directory (or --tls-cert/--tls-key), runner client certificates
// issued by mdefleet's CA and required on every runner call (unless
// --allow-token-only-runners); plaintext only on loopback.
#ifndef MDEFLEET_SERVER_TLS_SERVE_TLS_H_
#define MDEFLEET_SERVER_TLS_SERVE_TLS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls/certificate_authority.h"

namespace mdefleet::server_tls {

struct ServeTlsOptions {
  std::string listen{};        // --listen
  std::string http_listen{};   // --http-listen; "" when HTTP is off
  std::string tls_dir{};       // the TLS directory (see TlsDirectory)
  bool tls_dir_given = false;  // --tls-dir was passed: it must exist
  std::string tls_cert{};      // --tls-cert, overrides <tls_dir>/server.pem
  std::string tls_key{};       // --tls-key, overrides <tls_dir>/server.key
  bool plaintext = false;      // --plaintext
  bool mtls = false;  // --mtls (the default with TLS; kept for scripts)
  bool allow_token_only_runners = false;  // --allow-token-only-runners
};

struct ServeTls {
  bool enabled = false;
  std::string certificate_pem;
  std::string key_pem;  // secret
  // PEM CA that runner client certificates must chain to (<tls_dir>/ca.pem);
  // empty: client certificates are not asked for.
  std::string client_ca_pem;
  // Signs client certificates at enrollment (needs <tls_dir>/ca.key too).
  std::unique_ptr<tls::CertificateAuthority> issuer;
  // Runner calls need the device's client certificate: with TLS unless
  // --allow-token-only-runners.
  bool require_client_certificate = false;
  // One line for the log: what is served and how.
  std::string description;
  // One line for the log: how runners authenticate.
  std::string runner_authentication;
  // Logged as a WARNING at start when not empty: a weaker choice the
  // operator made explicitly (--allow-token-only-runners).
  std::string warning;
};

// Decides and loads the transport security from the flags and the TLS
// directory:
// - --plaintext: no TLS (refused together with --tls-cert/--tls-key/--mtls);
// - else TLS when --tls-cert/--tls-key (both) or <tls_dir>/server.pem and
//   server.key exist, each key checked against its certificate;
// - <tls_dir>/ca.pem verifies runner client certificates and ca.key signs
//   them at enrollment and renewal. With TLS every runner call needs its
//   device's certificate, so both must exist: without them serve refuses to
//   start (naming the files and --allow-token-only-runners) unless
//   --allow-token-only-runners is given, which accepts a device token alone
//   and is logged as a warning. --mtls (the default now) is accepted and
//   contradicts --allow-token-only-runners. Without TLS runners use their
//   token alone (loopback only).
// Without TLS, a --listen (or --http-listen: the HTTP API serves HTTPS with
// the same certificate) address that is not loopback is refused: the bearer
// tokens would cross the network in clear. Errors name the flag or
// file and never quote key material.
[[nodiscard]] absl::StatusOr<ServeTls> LoadServeTls(
    const ServeTlsOptions& options, absl::Time now);

// gRPC credentials for `tls`: insecure when disabled; else the server
// certificate, and, when client_ca_pem is set, a request for a client
// certificate that is verified when sent (not required: Enroll and mdefleetctl
// have none; --mtls is enforced per call by the runner handlers).
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    const ServeTls& tls);

}  // namespace mdefleet::server_tls

#endif  // MDEFLEET_SERVER_TLS_SERVE_TLS_H_

// How `mdefleet-server serve` secures its port: TLS with the certificate of
// the TLS directory (or --tls-cert/--tls-key), runner client certificates
// verified against mdefleet's CA, optionally required (--mtls); plaintext only
// on loopback.
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
  bool mtls = false;           // --mtls
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
  bool require_client_certificate = false;  // --mtls
  // One line for the log: what is served and how.
  std::string description;
};

// Decides and loads the transport security from the flags and the TLS
// directory:
// - --plaintext: no TLS (refused together with --tls-cert/--tls-key/--mtls);
// - else TLS when --tls-cert/--tls-key (both) or <tls_dir>/server.pem and
//   server.key exist, each key checked against its certificate;
// - <tls_dir>/ca.pem, when present, verifies runner client certificates and,
//   with ca.key, signs them at enrollment; --mtls needs ca.pem.
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

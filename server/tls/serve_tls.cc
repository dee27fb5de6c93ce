#include "server/tls/serve_tls.h"

#include <grpcpp/security/server_credentials.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tls/address.h"
#include "common/tls/pem.h"
#include "server/tls/tls_dir.h"

namespace mdefleet::server_tls {
namespace {

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

[[nodiscard]] absl::Status CheckFlags(const ServeTlsOptions& options) {
  if (options.plaintext &&
      (!options.tls_cert.empty() || !options.tls_key.empty() || options.mtls)) {
    return absl::InvalidArgumentError(
        "--plaintext: cannot be combined with --tls-cert, --tls-key or "
        "--mtls");
  }
  if (options.mtls && options.allow_token_only_runners) {
    return absl::InvalidArgumentError(
        "--mtls and --allow-token-only-runners contradict each other: --mtls "
        "(the default with TLS) requires each runner's client certificate");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key come together: the server certificate and "
        "its private key");
  }
  if (options.tls_dir_given) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.tls_dir, ec)) {
      return absl::NotFoundError(absl::StrCat(
          "--tls-dir: ", options.tls_dir,
          " is not a directory (init creates it next to the database)"));
    }
  }
  return absl::OkStatus();
}

// The server's own certificate and key: from the flags, else from the
// directory; none: TLS is off.
[[nodiscard]] absl::Status LoadServerPair(const ServeTlsOptions& options,
                                          const TlsDirPaths& paths,
                                          absl::Time now, ServeTls& tls) {
  std::string cert_what = "--tls-cert";
  std::string key_what = "--tls-key";
  std::string cert_path = options.tls_cert;
  std::string key_path = options.tls_key;
  if (cert_path.empty()) {
    if (!Exists(paths.server_cert) && !Exists(paths.server_key)) {
      return absl::OkStatus();
    }
    cert_what = cert_path = paths.server_cert;
    key_what = key_path = paths.server_key;
  }
  ASSIGN_OR_RETURN(tls.certificate_pem, ReadPemFile(cert_path, cert_what));
  ASSIGN_OR_RETURN(tls.key_pem, ReadPemFile(key_path, key_what));
  RETURN_IF_ERROR(tls::CheckKeyPair(tls.certificate_pem, tls.key_pem, cert_what,
                                    key_what, now));
  tls.enabled = true;
  tls.description = absl::StrCat("TLS with the certificate ", cert_path);
  return absl::OkStatus();
}

// mdefleet's CA, to verify (ca.pem) and issue (ca.key) client certificates.
[[nodiscard]] absl::Status LoadClientCa(const TlsDirPaths& paths,
                                        ServeTls& tls) {
  if (!Exists(paths.ca_cert)) {
    absl::StrAppend(&tls.description,
                    "; no CA in the TLS directory: runners get no client "
                    "certificates");
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(tls.client_ca_pem,
                   ReadPemFile(paths.ca_cert, paths.ca_cert));
  RETURN_IF_ERROR(
      tls::ParseCertificatePem(tls.client_ca_pem, paths.ca_cert).status());
  if (!Exists(paths.ca_key)) {
    absl::StrAppend(&tls.description,
                    "; runner client certificates verified "
                    "against ",
                    paths.ca_cert, " (no ca.key: none issued at enrollment)");
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string ca_key, ReadPemFile(paths.ca_key, paths.ca_key));
  ASSIGN_OR_RETURN(
      tls.issuer, tls::CertificateAuthority::Load(tls.client_ca_pem, ca_key,
                                                  paths.ca_cert, paths.ca_key));
  absl::StrAppend(&tls.description,
                  "; runner client certificates issued at enrollment and "
                  "verified against ",
                  paths.ca_cert);
  return absl::OkStatus();
}

// `address` is the value of `flag` (--listen or --http-listen), served with
// `protocol` ("gRPC", "HTTP") when there is no TLS.
[[nodiscard]] absl::Status CheckPlaintextListen(const ServeTlsOptions& options,
                                                const TlsDirPaths& paths,
                                                absl::string_view flag,
                                                absl::string_view address,
                                                absl::string_view protocol) {
  if (tls::IsLocalAddress(address)) return absl::OkStatus();
  if (options.plaintext) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " ", address,
        ": --plaintext is allowed only on a loopback address (127.0.0.1, "
        "::1, localhost): over a network the admin token, enrollment secret "
        "and device tokens would travel in clear. Drop --plaintext to serve "
        "TLS, or listen on 127.0.0.1"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      flag, " ", address, ": refusing to serve plaintext ", protocol,
      " on a non-loopback address (tokens would cross the network in clear), "
      "and there is no server certificate: ",
      paths.server_cert,
      " does not exist. Run `mdefleet-server init` (it creates the TLS "
      "directory), pass --tls-cert and --tls-key, or listen on 127.0.0.1"));
}

}  // namespace

absl::StatusOr<ServeTls> LoadServeTls(const ServeTlsOptions& options,
                                      absl::Time now) {
  RETURN_IF_ERROR(CheckFlags(options));
  const TlsDirPaths paths = PathsIn(options.tls_dir);
  ServeTls tls;
  if (!options.plaintext) {
    RETURN_IF_ERROR(LoadServerPair(options, paths, now, tls));
  }
  if (!tls.enabled) {
    if (options.mtls) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--mtls: needs TLS, and there is no server certificate (",
          paths.server_cert, " does not exist; pass --tls-dir or run init)"));
    }
    RETURN_IF_ERROR(CheckPlaintextListen(options, paths, "--listen",
                                         options.listen, "gRPC"));
    if (!options.http_listen.empty()) {
      RETURN_IF_ERROR(CheckPlaintextListen(options, paths, "--http-listen",
                                           options.http_listen, "HTTP"));
    }
    tls.description = "plaintext gRPC (loopback only)";
    tls.runner_authentication =
        "runners authenticate with their device token alone: there are no "
        "client certificates without TLS (plaintext, loopback only)";
    return tls;
  }
  RETURN_IF_ERROR(LoadClientCa(paths, tls));
  if (options.allow_token_only_runners) {
    tls.runner_authentication =
        "runners present their client certificate if they have one, or their "
        "device token alone (--allow-token-only-runners)";
    tls.warning =
        "--allow-token-only-runners: runner calls are accepted with a device "
        "token alone, without the device's client certificate, so a copied "
        "device token works from any host. Use it only while runners without "
        "a certificate are upgraded or re-enrolled over TLS";
    return tls;
  }
  if (tls.client_ca_pem.empty() || tls.issuer == nullptr) {
    const std::string missing =
        tls.client_ca_pem.empty()
            ? absl::StrCat(paths.ca_cert, " and ", paths.ca_key)
            : paths.ca_key;
    return absl::FailedPreconditionError(absl::StrCat(
        "runner client certificates are required by default with TLS, and "
        "this server cannot issue them: ",
        missing,
        " missing (init with --tls-cert/--tls-key creates no CA). Restore "
        "mdefleet's CA in the TLS directory, or pass "
        "--allow-token-only-runners to accept runners by their device token "
        "alone (a copied token then works from any host)"));
  }
  tls.require_client_certificate = true;
  tls.runner_authentication = absl::StrCat(
      "runners must present their device's client certificate "
      "on every call but Enroll",
      options.mtls ? " (--mtls: the default)" : "");
  return tls;
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    const ServeTls& tls) {
  if (!tls.enabled) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      tls.client_ca_pem.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = tls.client_ca_pem;
  options.pem_key_cert_pairs.push_back({tls.key_pem, tls.certificate_pem});
  return grpc::SslServerCredentials(options);
}

}  // namespace mdefleet::server_tls

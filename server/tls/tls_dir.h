// The server's TLS directory (default <db>.tls): what `mdefleet-server init`
// puts there and where `serve` finds it.
//
//   ca.pem      mdefleet's CA certificate: runners and mdefleetctl pin it
//   ca.key      the CA's private key (0600): signs runner client certificates
//   server.pem  the server certificate (signed by ca.key, or the operator's)
//   server.key  its private key (0600)
//
// The directory is 0700. With the operator's own certificate (init
// --tls-cert/--tls-key) only server.pem and server.key exist.
#ifndef MDEFLEET_SERVER_TLS_TLS_DIR_H_
#define MDEFLEET_SERVER_TLS_TLS_DIR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mdefleet::server_tls {

struct TlsDirPaths {
  std::string dir;
  std::string ca_cert;
  std::string ca_key;
  std::string server_cert;
  std::string server_key;
};

// `flag_value` (--tls-dir) when set, else "<db_path>.tls" for a SQLite
// --db. InvalidArgument naming --tls-dir for a PostgreSQL --db without it:
// replicas share one store and must share its CA and server certificate, so
// the directory is named, never derived from a URL.
[[nodiscard]] absl::StatusOr<std::string> TlsDirectory(
    const std::string& db_path, const std::string& flag_value);
TlsDirPaths PathsIn(const std::string& dir);

// The content of `path`; NotFound/FailedPrecondition "<what>: cannot read
// <path>: <reason>" otherwise. For PEM files: small, read whole.
[[nodiscard]] absl::StatusOr<std::string> ReadPemFile(const std::string& path,
                                                      const std::string& what);

struct InitTlsOptions {
  std::string dir{};
  std::vector<std::string> sans{};  // --san, in order
  std::string cert_file{};          // --tls-cert (with key_file)
  std::string key_file{};           // --tls-key
  std::string hostname{};           // this machine's, added to the names
};

// What init writes, made in memory first so that a bad flag leaves nothing
// behind. Secrets: ca_key_pem and server_key_pem.
struct TlsMaterial {
  std::string ca_cert_pem;  // empty with the operator's own certificate
  std::string ca_key_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
  std::vector<std::string> server_names;  // as shown to the operator
};

// A new CA and a server certificate for localhost, 127.0.0.1, ::1, the
// hostname and every --san; or, with --tls-cert/--tls-key, the operator's
// pair after checking that the key is the certificate's and that it is not
// expired. InvalidArgument naming the flag otherwise. Also refuses a TLS
// directory that already exists (init never overwrites keys).
[[nodiscard]] absl::StatusOr<TlsMaterial> PrepareTls(
    const InitTlsOptions& options, absl::Time now);

// Creates `dir` (0700, refusing an existing one) and writes the files of
// `material`: keys 0600, certificates 0644.
[[nodiscard]] absl::Status WriteTlsDir(const std::string& dir,
                                       const TlsMaterial& material);

}  // namespace mdefleet::server_tls

#endif  // MDEFLEET_SERVER_TLS_TLS_DIR_H_

#include "server/tls/tls_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tls/certificate_authority.h"
#include "common/tls/pem.h"
#include "common/tls/subject_alt_names.h"
#include "server/store/postgres/db_target.h"

namespace mdefleet::server_tls {
namespace {

constexpr char kCaCommonName[] = "mdefleet CA";

// Writes `content` to a new file `path` with `mode` (refusing an existing
// file: a key is never overwritten).
[[nodiscard]] absl::Status WriteNewFile(const std::string& path,
                                        const std::string& content,
                                        mode_t mode) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n =
        ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write ", path, ": ", std::strerror(error)));
    }
    written += static_cast<size_t>(n);
  }
  // The mode passed to open() is narrowed by the umask; certificates are
  // meant to be readable.
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot finish ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string Describe(const tls::SubjectAltName& name) {
  return name.type == tls::SubjectAltName::Type::kIp
             ? absl::StrCat("IP:", name.value)
             : absl::StrCat("DNS:", name.value);
}

[[nodiscard]] absl::Status CheckDirAbsent(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) || ec) {
    return absl::AlreadyExistsError(absl::StrCat(
        "--tls-dir: ", dir,
        " already exists; init never overwrites keys: remove it or choose "
        "another --tls-dir"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> TlsDirectory(const std::string& db_path,
                                         const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (store::IsPostgresUrl(db_path)) {
    return absl::InvalidArgumentError(
        "--tls-dir: required with a PostgreSQL --db. Every server replica "
        "of one store needs the same CA and server certificate: init writes "
        "them to --tls-dir; copy that directory to each replica "
        "(docs/scale-out.md)");
  }
  return absl::StrCat(db_path, ".tls");
}

TlsDirPaths PathsIn(const std::string& dir) {
  return {.dir = dir,
          .ca_cert = absl::StrCat(dir, "/ca.pem"),
          .ca_key = absl::StrCat(dir, "/ca.key"),
          .server_cert = absl::StrCat(dir, "/server.pem"),
          .server_key = absl::StrCat(dir, "/server.key")};
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path,
                                        const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(what, ": cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": cannot read ", path));
  }
  return content.str();
}

absl::StatusOr<TlsMaterial> PrepareTls(const InitTlsOptions& options,
                                       absl::Time now) {
  const bool own_pair = !options.cert_file.empty() || !options.key_file.empty();
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key come together: the server certificate and "
        "its private key");
  }
  if (own_pair && !options.sans.empty()) {
    return absl::InvalidArgumentError(
        "--san: only for the certificate init makes; the certificate in "
        "--tls-cert already has its names");
  }
  std::vector<tls::SubjectAltName> extra;
  for (const std::string& san : options.sans) {
    ASSIGN_OR_RETURN(tls::SubjectAltName name,
                     tls::ParseSubjectAltName(san, "--san"));
    extra.push_back(std::move(name));
  }
  RETURN_IF_ERROR(CheckDirAbsent(options.dir));

  TlsMaterial material;
  if (own_pair) {
    ASSIGN_OR_RETURN(material.server_cert_pem,
                     ReadPemFile(options.cert_file, "--tls-cert"));
    ASSIGN_OR_RETURN(material.server_key_pem,
                     ReadPemFile(options.key_file, "--tls-key"));
    RETURN_IF_ERROR(tls::CheckKeyPair(material.server_cert_pem,
                                      material.server_key_pem, "--tls-cert",
                                      "--tls-key", now));
    return material;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<tls::CertificateAuthority> ca,
                   tls::CertificateAuthority::Create(kCaCommonName, now));
  const std::vector<tls::SubjectAltName> names =
      tls::ServerNames(options.hostname, extra);
  ASSIGN_OR_RETURN(tls::KeyAndCertificate server,
                   ca->IssueServerCertificate(names, now));
  ASSIGN_OR_RETURN(material.ca_cert_pem, ca->CertificatePem());
  ASSIGN_OR_RETURN(material.ca_key_pem, ca->PrivateKeyPem());
  material.server_cert_pem = std::move(server.certificate_pem);
  material.server_key_pem = std::move(server.key_pem);
  for (const tls::SubjectAltName& name : names) {
    material.server_names.push_back(Describe(name));
  }
  return material;
}

absl::Status WriteTlsDir(const std::string& dir, const TlsMaterial& material) {
  RETURN_IF_ERROR(CheckDirAbsent(dir));
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--tls-dir: cannot create ", dir, ": ", std::strerror(errno)));
  }
  const TlsDirPaths paths = PathsIn(dir);
  if (!material.ca_cert_pem.empty()) {
    RETURN_IF_ERROR(WriteNewFile(paths.ca_key, material.ca_key_pem, 0600));
    RETURN_IF_ERROR(WriteNewFile(paths.ca_cert, material.ca_cert_pem, 0644));
  }
  RETURN_IF_ERROR(
      WriteNewFile(paths.server_key, material.server_key_pem, 0600));
  return WriteNewFile(paths.server_cert, material.server_cert_pem, 0644);
}

}  // namespace mdefleet::server_tls

#include "runner/client/identity_store.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {

std::string IdentityPath(const Host& host) {
  return JoinWindowsPath(host.StateDirectory(), "identity");
}

absl::StatusOr<std::optional<RunnerIdentity>> LoadIdentity(Host& host) {
  const std::string path = IdentityPath(host);
  auto text = host.ReadFile(path);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  RunnerIdentity id;
  std::string protected_token;
  for (absl::string_view line :
       absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "device_id=")) {
      id.device_id = std::string(line);
    } else if (absl::ConsumePrefix(&line, "protected_token=")) {
      if (!absl::Base64Unescape(line, &protected_token)) {
        return absl::DataLossError(
            absl::StrCat(path, ": protected_token is not base64"));
      }
    }
  }
  if (id.device_id.empty() || protected_token.empty()) {
    return absl::DataLossError(
        absl::StrCat(path, " is incomplete; delete it to enroll again"));
  }
  auto token = host.UnprotectSecret(protected_token);
  if (!token.ok()) {
    return absl::DataLossError(absl::StrCat(
        path, ": cannot unprotect the device token (", token.status().message(),
        "); delete the file to enroll again"));
  }
  id.device_token = *std::move(token);
  return id;
}

absl::Status SaveIdentity(Host& host, const RunnerIdentity& identity) {
  RETURN_IF_ERROR(host.CreateDirectories(host.StateDirectory()));
  ASSIGN_OR_RETURN(std::string protected_token,
                   host.ProtectSecret(identity.device_token));
  return host.WriteFile(
      IdentityPath(host),
      absl::StrCat("device_id=", identity.device_id, "\nprotected_token=",
                   absl::Base64Escape(protected_token), "\n"));
}

std::string ClientKeyPath(const Host& host) {
  return JoinWindowsPath(host.StateDirectory(), "client.key");
}

std::string ClientCertificatePath(const Host& host) {
  return JoinWindowsPath(host.StateDirectory(), "client.pem");
}

std::string RenewedClientCertificatePath(const Host& host) {
  return JoinWindowsPath(host.StateDirectory(), "client.renewed");
}

namespace {

// client.renewed: "protected_key=<base64>\ncertificate=<base64 PEM>\n".
[[nodiscard]] absl::StatusOr<ClientCertificate> ParseRenewed(
    Host& host, absl::string_view text, const std::string& path) {
  std::string protected_key, certificate;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    line = absl::StripTrailingAsciiWhitespace(line);
    bool ok = true;
    if (absl::ConsumePrefix(&line, "protected_key=")) {
      ok = absl::Base64Unescape(line, &protected_key);
    } else if (absl::ConsumePrefix(&line, "certificate=")) {
      ok = absl::Base64Unescape(line, &certificate);
    }
    if (!ok) return absl::DataLossError(absl::StrCat(path, " is not base64"));
  }
  if (protected_key.empty() || certificate.empty()) {
    return absl::DataLossError(absl::StrCat(path, " is incomplete"));
  }
  auto key = host.UnprotectSecret(protected_key);
  if (!key.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": cannot unprotect the client key (",
                     key.status().message(), ")"));
  }
  return ClientCertificate{*std::move(key), std::move(certificate)};
}

}  // namespace

absl::StatusOr<std::optional<ClientCertificate>> LoadClientCertificate(
    Host& host) {
  const std::string renewed_path = RenewedClientCertificatePath(host);
  auto renewed_text = host.ReadFile(renewed_path);
  if (renewed_text.ok()) {
    ASSIGN_OR_RETURN(ClientCertificate renewed,
                     ParseRenewed(host, *renewed_text, renewed_path));
    // Finish the interrupted replacement.
    RETURN_IF_ERROR(SaveClientCertificate(host, renewed));
    RETURN_IF_ERROR(host.DeletePath(renewed_path));
    return renewed;
  }
  if (!absl::IsNotFound(renewed_text.status())) return renewed_text.status();
  const std::string key_path = ClientKeyPath(host);
  const std::string cert_path = ClientCertificatePath(host);
  auto protected_key = host.ReadFile(key_path);
  auto certificate = host.ReadFile(cert_path);
  if (absl::IsNotFound(protected_key.status()) &&
      absl::IsNotFound(certificate.status())) {
    return std::nullopt;
  }
  if (!protected_key.ok() || !certificate.ok()) {
    return absl::DataLossError(absl::StrCat(
        key_path, " and ", cert_path,
        " go together and one is missing or unreadable; delete both and the "
        "identity file to enroll again"));
  }
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(*protected_key),
                            &decoded)) {
    return absl::DataLossError(absl::StrCat(key_path, " is not base64"));
  }
  auto key = host.UnprotectSecret(decoded);
  if (!key.ok()) {
    return absl::DataLossError(
        absl::StrCat(key_path, ": cannot unprotect the client key (",
                     key.status().message(), "); delete it, ", cert_path,
                     " and the identity file to enroll "
                     "again"));
  }
  return ClientCertificate{*std::move(key), *std::move(certificate)};
}

absl::Status SaveClientCertificate(Host& host,
                                   const ClientCertificate& certificate) {
  RETURN_IF_ERROR(host.CreateDirectories(host.StateDirectory()));
  ASSIGN_OR_RETURN(std::string protected_key,
                   host.ProtectSecret(certificate.key_pem));
  RETURN_IF_ERROR(
      host.WriteFile(ClientKeyPath(host),
                     absl::StrCat(absl::Base64Escape(protected_key), "\n")));
  return host.WriteFile(ClientCertificatePath(host),
                        certificate.certificate_pem);
}

}  // namespace mdefleet::runner

namespace mdefleet::runner {

absl::Status SaveRenewedClientCertificate(
    Host& host, const ClientCertificate& certificate) {
  RETURN_IF_ERROR(host.CreateDirectories(host.StateDirectory()));
  ASSIGN_OR_RETURN(std::string protected_key,
                   host.ProtectSecret(certificate.key_pem));
  const std::string renewed_path = RenewedClientCertificatePath(host);
  RETURN_IF_ERROR(host.WriteFile(
      renewed_path,
      absl::StrCat("protected_key=", absl::Base64Escape(protected_key),
                   "\ncertificate=",
                   absl::Base64Escape(certificate.certificate_pem), "\n")));
  RETURN_IF_ERROR(SaveClientCertificate(host, certificate));
  return host.DeletePath(renewed_path);
}

}  // namespace mdefleet::runner

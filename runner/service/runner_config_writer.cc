#include "runner/service/runner_config_writer.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {
namespace {

// A value on one "Name = value" line: no line break may smuggle in a second
// setting.
[[nodiscard]] absl::Status CheckOneLine(absl::string_view name,
                                        absl::string_view value) {
  if (absl::StrContains(value, '\n') || absl::StrContains(value, '\r')) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": must be a single line"));
  }
  return absl::OkStatus();
}

struct Update {
  const char* name;
  std::string value;  // "" = keep what the file has
  bool done = false;
};

// `existing` with each update's line replaced (or appended), other lines
// kept as they are.
std::string Merge(absl::string_view existing, std::vector<Update> updates) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(existing, '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    const size_t eq = line.find('=');
    if (eq != absl::string_view::npos) {
      const absl::string_view name =
          absl::StripAsciiWhitespace(line.substr(0, eq));
      bool replaced = false;
      for (Update& u : updates) {
        if (!u.value.empty() && absl::EqualsIgnoreCase(name, u.name)) {
          if (!u.done) absl::StrAppend(&out, u.name, " = ", u.value, "\r\n");
          u.done = true;
          replaced = true;
        }
      }
      if (replaced) continue;
    }
    if (!line.empty()) absl::StrAppend(&out, line, "\r\n");
  }
  for (const Update& u : updates) {
    if (!u.value.empty() && !u.done) {
      absl::StrAppend(&out, u.name, " = ", u.value, "\r\n");
    }
  }
  return out;
}

constexpr char kHeader[] =
    "# Written by `mdefleet-runner.exe configure` (the MSI). Group Policy\r\n"
    "# (HKLM\\SOFTWARE\\Policies\\mdefleet\\Runner), when set, wins.\r\n";

}  // namespace

absl::StatusOr<RunnerConfig> WriteRunnerConfig(
    Host& host, const std::string& config_file,
    const RunnerConfigValues& values) {
  if (values.server_address.empty() && values.ca_certificate_file.empty() &&
      values.enrollment_secret.empty() && values.labels.empty()) {
    return absl::InvalidArgumentError(
        "nothing to configure: give at least one of --server, --ca-cert, "
        "--enrollment-secret, --labels");
  }
  RETURN_IF_ERROR(CheckOneLine(kSettingServerAddress, values.server_address));
  RETURN_IF_ERROR(
      CheckOneLine(kSettingEnrollmentSecret, values.enrollment_secret));
  RETURN_IF_ERROR(CheckOneLine(kSettingLabels, values.labels));
  RETURN_IF_ERROR(
      CheckOneLine(kSettingCaCertificatePath, values.ca_certificate_file));

  std::string existing;
  ASSIGN_OR_RETURN(const bool exists, host.FileExists(config_file));
  if (exists) {
    ASSIGN_OR_RETURN(existing, host.ReadFile(config_file));
  } else {
    existing = kHeader;
  }

  const std::string directory = WindowsDirName(config_file);
  const std::string ca_copy = JoinWindowsPath(directory, "ca.pem");
  std::string ca_pem;
  if (!values.ca_certificate_file.empty()) {
    absl::StatusOr<std::string> pem = host.ReadFile(values.ca_certificate_file);
    if (!pem.ok()) {
      return absl::Status(
          pem.status().code(),
          absl::StrCat(kSettingCaCertificatePath, ": cannot read ",
                       values.ca_certificate_file, ": ",
                       pem.status().message()));
    }
    ca_pem = *std::move(pem);
  }

  // The file naming `ca_path` as the CA certificate ("" keeps the file's).
  auto render = [&](const std::string& ca_path) {
    return Merge(existing,
                 {{kSettingServerAddress, values.server_address},
                  {kSettingEnrollmentSecret, values.enrollment_secret},
                  {kSettingLabels, values.labels},
                  {kSettingCaCertificatePath, ca_path}});
  };
  // Validated as the service will read it, with a new CA read from its
  // source (the copy does not exist yet).
  ASSIGN_OR_RETURN(RunnerConfig config,
                   ParseRunnerConfigFile(host, config_file,
                                         render(values.ca_certificate_file)));

  RETURN_IF_ERROR(host.CreateDirectories(directory));
  if (!ca_pem.empty()) {
    RETURN_IF_ERROR(host.WriteFile(ca_copy, ca_pem));
    config.ca_certificate_path = ca_copy;
  }
  RETURN_IF_ERROR(
      host.WriteFile(config_file, render(ca_pem.empty() ? "" : ca_copy)));
  config.source_description = config_file;
  return config;
}

}  // namespace mdefleet::runner

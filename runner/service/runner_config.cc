#include "runner/service/runner_config.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/host_port.h"
#include "common/labels.h"
#include "common/status_macros.h"
#include "runner/host/defender_tls_roots.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {
namespace {

constexpr char kEnrollmentPrefix[] = "mdf_enroll_";
constexpr size_t kEnrollmentPrefixSize = sizeof(kEnrollmentPrefix) - 1;
constexpr size_t kMaxStringSetting = 1024;

// One value as found, before validation.
struct RawSetting {
  RegistryData data;
  // Message prefix naming the setting and its place:
  // "GPO setting X (HKLM\\...)" or "C:\\...\\runner.conf line 3: X".
  std::string where;
  // True for file values: a kDword setting arrives as decimal text.
  bool from_text = false;
};

// Everything gathered from one source.
struct Gathered {
  RunnerConfigSource source;
  std::string source_description;
  // Canonical setting name -> value; absent settings are not in the map.
  std::map<std::string, RawSetting> values;
  // The message for a setting that is absent, by name.
  std::string (*missing)(const std::string& place, absl::string_view name);
  std::string place;  // key or file, for `missing`
  std::vector<std::string> problems;
  // The code of the first read failure; InvalidArgument otherwise.
  std::optional<absl::StatusCode> read_failure;
};

std::string GpoWhere(absl::string_view key, absl::string_view name) {
  return absl::StrCat("GPO setting ", name, " (HKLM\\", key, ")");
}

std::string GpoMissing(const std::string& key, absl::string_view name) {
  return absl::StrCat(GpoWhere(key, name), " is missing");
}

std::string FileMissing(const std::string& file, absl::string_view name) {
  return absl::StrCat(file, ": ", name, " is missing");
}

// Replaces anything that looks like an enrollment secret, in case a lower
// layer ever quoted one.
std::string RedactSecrets(std::string message) {
  size_t pos = 0;
  while ((pos = message.find(kEnrollmentPrefix, pos)) != std::string::npos) {
    size_t begin = pos + kEnrollmentPrefixSize;
    size_t end = begin;
    while (end < message.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(message[end])) ||
            message[end] == '-' || message[end] == '_' || message[end] == '=' ||
            message[end] == '+' || message[end] == '/')) {
      ++end;
    }
    message.replace(begin, end - begin, "<redacted>");
    pos = begin + 10;
  }
  return message;
}

const RunnerSettingSpec* FindSpec(absl::string_view name) {
  for (const RunnerSettingSpec& spec : RunnerSettingSpecs()) {
    if (absl::EqualsIgnoreCase(spec.name, name)) return &spec;
  }
  return nullptr;
}

std::string KnownSettingNames() {
  std::vector<std::string> names;
  for (const RunnerSettingSpec& spec : RunnerSettingSpecs()) {
    names.push_back(spec.name);
  }
  return absl::StrJoin(names, ", ");
}

const char* RegistryTypeName(const RegistryData& data) {
  return std::holds_alternative<std::string>(data) ? "REG_SZ" : "REG_DWORD";
}

// Whether `path` is an absolute Windows path on a drive ("C:\\x"), without
// ".." components or characters Windows does not allow in names.
bool IsAbsoluteDrivePath(absl::string_view path) {
  if (path.size() < 3 ||
      !absl::ascii_isalpha(static_cast<unsigned char>(path[0])) ||
      path[1] != ':' || (path[2] != '\\' && path[2] != '/')) {
    return false;
  }
  for (size_t i = 2; i < path.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' ||
        c == '>' || c == '|') {
      return false;
    }
  }
  for (absl::string_view part : absl::StrSplit(path, absl::ByAnyChar("\\/"))) {
    if (part == "..") return false;
  }
  return true;
}

// Empty when `secret` looks like an enrollment secret.
bool LooksLikeEnrollmentSecret(absl::string_view secret) {
  if (!absl::StartsWith(secret, kEnrollmentPrefix) ||
      secret.size() == kEnrollmentPrefixSize || secret.size() > 512) {
    return false;
  }
  for (char c : secret) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

// A problem with one setting, in the words the operator reads; nullopt when
// the setting was taken.
using SettingProblem = std::optional<std::string>;

// A REG_DWORD setting (decimal text in a file) into `config`.
SettingProblem ApplyDwordSetting(const RunnerSettingSpec& spec,
                                 const RawSetting& raw, RunnerConfig& config) {
  uint32_t number = 0;
  if (const auto* n = std::get_if<uint32_t>(&raw.data)) {
    number = *n;
  } else if (raw.from_text) {
    const std::string& text = std::get<std::string>(raw.data);
    if (!absl::SimpleAtoi(text, &number)) {
      return absl::StrCat(raw.where, " must be a whole number ", spec.min_value,
                          "..", spec.max_value, " (got \"", text, "\")");
    }
  } else {
    return absl::StrCat(raw.where, " must be a REG_DWORD, not ",
                        RegistryTypeName(raw.data));
  }
  if (number < spec.min_value || number > spec.max_value) {
    return absl::StrCat(raw.where, " must be ", spec.min_value, "..",
                        spec.max_value, " (got ", number, ")");
  }
  const absl::Duration seconds = absl::Seconds(number);
  if (absl::string_view(spec.name) == kSettingPollWaitSeconds) {
    config.poll_wait = seconds;
  } else if (absl::string_view(spec.name) == kSettingMaxBackoffSeconds) {
    config.max_backoff = seconds;
  }
  return std::nullopt;
}

SettingProblem NotADrivePath(const RawSetting& raw, absl::string_view example,
                             absl::string_view value) {
  return absl::StrCat(raw.where,
                      " must be an absolute path on a local drive, e.g. ",
                      example, " (got \"", value, "\")");
}

// CaCertificatePath: a PEM certificate file the runner can read now.
SettingProblem ApplyCaCertificate(
    Host& host, const RawSetting& raw, const std::string& value,
    RunnerConfig& config, std::optional<absl::StatusCode>& read_failure) {
  if (!IsAbsoluteDrivePath(value)) {
    return NotADrivePath(raw, "C:\\ProgramData\\mdefleet\\ca.pem", value);
  }
  const std::string path = NormalizeWindowsPath(value);
  auto pem = host.ReadFile(path);
  if (absl::IsNotFound(pem.status())) {
    return absl::StrCat(raw.where, " names ", path, ", which does not exist");
  }
  if (!pem.ok()) {
    if (!read_failure) read_failure = pem.status().code();
    return absl::StrCat(raw.where, " names ", path,
                        ", which cannot be read: ", pem.status().message());
  }
  if (!absl::StrContains(*pem, "-----BEGIN CERTIFICATE-----")) {
    return absl::StrCat(
        raw.where, " names ", path,
        ", which is not a PEM certificate file (no \"-----BEGIN "
        "CERTIFICATE-----\" line)");
  }
  config.ca_certificate_path = path;
  config.ca_certificate_pem = *std::move(pem);
  return std::nullopt;
}

// A REG_SZ setting into `config`.
SettingProblem ApplyStringSetting(
    Host& host, const RunnerSettingSpec& spec, const RawSetting& raw,
    RunnerConfig& config, std::optional<absl::StatusCode>& read_failure) {
  if (!std::holds_alternative<std::string>(raw.data)) {
    return absl::StrCat(raw.where, " must be a REG_SZ, not ",
                        RegistryTypeName(raw.data));
  }
  const std::string value(
      absl::StripAsciiWhitespace(std::get<std::string>(raw.data)));
  if (value.size() > kMaxStringSetting) {
    return absl::StrCat(raw.where, " is longer than ", kMaxStringSetting,
                        " characters");
  }
  const absl::string_view name = spec.name;
  if (name == kSettingServerAddress) {
    if (absl::Status s = ParseHostPort(value).status(); !s.ok()) {
      return absl::StrCat(
          raw.where,
          " must be host:port, e.g. mdefleet.corp.example:7443: ", s.message());
    }
    config.server_address = value;
  } else if (name == kSettingEnrollmentSecret) {
    if (!LooksLikeEnrollmentSecret(value)) {
      return absl::StrCat(
          raw.where,
          " is not an mdefleet enrollment secret (it must start with "
          "mdf_enroll_ and contain no spaces; the value is not shown)");
    }
    config.enrollment_secret = value;
  } else if (name == kSettingLabels) {
    auto labels = ParseLabelList(value, "");
    if (!labels.ok()) {
      return absl::StrCat(raw.where,
                          " is invalid: ", labels.status().message());
    }
    config.labels = *std::move(labels);
  } else if (name == kSettingDefenderTlsRoots) {
    auto roots = ParseThumbprintList(value);
    if (!roots.ok()) {
      return absl::StrCat(raw.where, " is invalid: ", roots.status().message());
    }
    config.defender_tls_roots = *std::move(roots);
  } else if (name == kSettingStateDirectory) {
    if (!IsAbsoluteDrivePath(value)) {
      return NotADrivePath(raw, "C:\\ProgramData\\mdefleet\\state", value);
    }
    config.state_directory = NormalizeWindowsPath(value);
  } else if (name == kSettingCaCertificatePath) {
    return ApplyCaCertificate(host, raw, value, config, read_failure);
  }
  return std::nullopt;
}

// Validates every setting of `g` into a RunnerConfig.
[[nodiscard]] absl::StatusOr<RunnerConfig> Build(Host& host, Gathered g) {
  RunnerConfig config;
  config.source = g.source;
  config.source_description = g.source_description;
  std::vector<std::string>& problems = g.problems;

  for (const RunnerSettingSpec& spec : RunnerSettingSpecs()) {
    auto it = g.values.find(spec.name);
    const bool empty_text =
        it != g.values.end() &&
        std::holds_alternative<std::string>(it->second.data) &&
        absl::StripAsciiWhitespace(std::get<std::string>(it->second.data))
            .empty();
    if (it == g.values.end() || empty_text) {
      if (spec.required) {
        problems.push_back(it == g.values.end()
                               ? g.missing(g.place, spec.name)
                               : absl::StrCat(it->second.where, " is empty"));
      }
      continue;
    }
    SettingProblem problem = spec.type == RunnerSettingType::kDword
                                 ? ApplyDwordSetting(spec, it->second, config)
                                 : ApplyStringSetting(host, spec, it->second,
                                                      config, g.read_failure);
    if (problem) problems.push_back(*std::move(problem));
  }

  if (problems.empty()) return config;
  const absl::StatusCode code =
      g.read_failure.value_or(absl::StatusCode::kInvalidArgument);
  if (problems.size() == 1) {
    return absl::Status(code, RedactSecrets(problems.front()));
  }
  return absl::Status(
      code, RedactSecrets(absl::StrCat(
                problems.size(), " problems in the runner configuration: ",
                absl::StrJoin(problems, "; "))));
}

// The settings under policy key `key`; nullopt when it holds none of them
// (and none failed to read), e.g. after the GPO was unlinked and Group Policy
// removed its values but left the key.
[[nodiscard]] absl::StatusOr<std::optional<RunnerConfig>> LoadFromPolicy(
    Host& host, const std::string& key) {
  Gathered g;
  g.source = RunnerConfigSource::kGroupPolicy;
  g.source_description = absl::StrCat("Group Policy (HKLM\\", key, ")");
  g.missing = &GpoMissing;
  g.place = key;
  for (const RunnerSettingSpec& spec : RunnerSettingSpecs()) {
    auto value = host.ReadValue(key, spec.name);
    if (!value.ok()) {
      if (!g.read_failure) g.read_failure = value.status().code();
      g.problems.push_back(
          absl::StrCat(GpoWhere(key, spec.name),
                       " cannot be read: ", value.status().message()));
      continue;
    }
    if (!value->has_value()) continue;
    g.values[spec.name] =
        RawSetting{**std::move(value), GpoWhere(key, spec.name),
                   /*from_text=*/false};
  }
  if (g.values.empty() && g.problems.empty()) {
    return std::optional<RunnerConfig>();
  }
  auto config = Build(host, std::move(g));
  if (!config.ok()) return config.status();
  return std::optional<RunnerConfig>(*std::move(config));
}

}  // namespace

const std::vector<RunnerSettingSpec>& RunnerSettingSpecs() {
  static const std::vector<RunnerSettingSpec>* const specs =
      new std::vector<RunnerSettingSpec>{
          {kSettingServerAddress, RunnerSettingType::kString, true, false, 0, 0,
           "mdefleet-server address, host:port"},
          {kSettingCaCertificatePath, RunnerSettingType::kString, false, false,
           0, 0,
           "PEM file with the CA that signs the server's TLS certificate"},
          {kSettingEnrollmentSecret, RunnerSettingType::kString, true, true, 0,
           0, "enrollment secret (mdf_enroll_...), used on first start only"},
          {kSettingLabels, RunnerSettingType::kString, false, false, 0, 0,
           "labels k=v,k=v that jobs can target (site, ou, role)"},
          {kSettingPollWaitSeconds, RunnerSettingType::kDword, false, false, 1,
           300, "how long the server may hold a poll, seconds (default 30)"},
          {kSettingMaxBackoffSeconds, RunnerSettingType::kDword, false, false,
           1, 3600,
           "longest wait between retries while the server is unreachable, "
           "seconds (default 30)"},
          {kSettingStateDirectory, RunnerSettingType::kString, false, false, 0,
           0,
           "identity, journal, work files and log (default "
           "C:\\ProgramData\\mdefleet\\state)"},
          {kSettingDefenderTlsRoots, RunnerSettingType::kString, false, false,
           0, 0,
           "SHA-1 thumbprints of roots to accept, besides Microsoft's public "
           "ones, for Defender URLs (comma-separated)"},
      };
  return *specs;
}

absl::StatusOr<RunnerConfig> ParseRunnerConfigFile(Host& host,
                                                   absl::string_view file_name,
                                                   absl::string_view content) {
  Gathered g;
  g.source = RunnerConfigSource::kConfigFile;
  g.source_description = std::string(file_name);
  g.missing = &FileMissing;
  g.place = std::string(file_name);
  absl::ConsumePrefix(&content, "\xEF\xBB\xBF");  // UTF-8 byte order mark
  std::map<std::string, int> first_line;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);  // also drops the '\r' of CRLF
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const std::string at = absl::StrCat(file_name, " line ", line_number);
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      // The line is not quoted: it might hold a secret.
      g.problems.push_back(
          absl::StrCat(at, ": expected \"Name = value\" (line not shown)"));
      continue;
    }
    const absl::string_view key =
        absl::StripAsciiWhitespace(line.substr(0, eq));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const RunnerSettingSpec* spec = FindSpec(key);
    if (spec == nullptr) {
      const bool quotable =
          !key.empty() && key.size() <= 64 &&
          !absl::StartsWithIgnoreCase(key, "mdf_") &&
          std::all_of(key.begin(), key.end(), [](char c) {
            return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                   c == '_';
          });
      g.problems.push_back(absl::StrCat(
          at, ": unknown setting ",
          quotable ? absl::StrCat("\"", key, "\"") : "(name not shown)",
          " (known: ", KnownSettingNames(), ")"));
      continue;
    }
    if (auto [it, inserted] = first_line.emplace(spec->name, line_number);
        !inserted) {
      g.problems.push_back(absl::StrCat(at, ": ", spec->name,
                                        " is set twice (first on line ",
                                        it->second, ")"));
      continue;
    }
    g.values[spec->name] =
        RawSetting{std::string(value), absl::StrCat(at, ": ", spec->name),
                   /*from_text=*/true};
  }
  return Build(host, std::move(g));
}

absl::StatusOr<RunnerConfig> LoadRunnerConfig(
    Host& host, const RunnerConfigSources& sources) {
  const std::string key = sources.policy_key_for_test.empty()
                              ? std::string(kRunnerPolicyKey)
                              : sources.policy_key_for_test;
  auto policy_exists = host.KeyExists(key);
  if (!policy_exists.ok()) {
    return absl::Status(policy_exists.status().code(),
                        RedactSecrets(absl::StrCat(
                            "cannot read the Group Policy key HKLM\\", key,
                            ": ", policy_exists.status().message())));
  }
  if (*policy_exists) {
    auto from_policy = LoadFromPolicy(host, key);
    if (!from_policy.ok()) return from_policy.status();
    if (from_policy->has_value()) return **std::move(from_policy);
  }

  auto content = host.ReadFile(sources.config_file);
  if (absl::IsNotFound(content.status())) {
    return absl::NotFoundError(absl::StrCat(
        "no runner configuration: the Group Policy key HKLM\\", key,
        " holds no mdefleet setting and the file ", sources.config_file,
        " does not exist (apply the mdefleet GPO, see deploy/gpo/README.md, "
        "or write the file, see docs/windows.md)"));
  }
  if (!content.ok()) {
    return absl::Status(
        content.status().code(),
        RedactSecrets(absl::StrCat("cannot read ", sources.config_file, ": ",
                                   content.status().message())));
  }
  return ParseRunnerConfigFile(host, sources.config_file, *content);
}

std::string DescribeRunnerConfig(const RunnerConfig& config) {
  std::vector<std::string> labels;
  for (const auto& [k, v] : config.labels)
    labels.push_back(absl::StrCat(k, "=", v));
  return absl::StrCat(
      "from ", config.source_description, ": server ", config.server_address,
      ", ",
      config.ca_certificate_path.empty()
          ? std::string("no CA certificate")
          : absl::StrCat("CA certificate ", config.ca_certificate_path),
      ", labels ", labels.empty() ? "(none)" : absl::StrJoin(labels, ","),
      ", poll wait ", absl::FormatDuration(config.poll_wait), ", max backoff ",
      absl::FormatDuration(config.max_backoff), ", state directory ",
      config.state_directory,
      config.defender_tls_roots.empty()
          ? std::string()
          : absl::StrCat(", extra Defender TLS roots ",
                         absl::StrJoin(config.defender_tls_roots, ",")),
      ", enrollment secret ",
      config.enrollment_secret.empty() ? "not set" : "set (not shown)");
}

}  // namespace mdefleet::runner

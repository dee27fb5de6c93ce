#include "common/artifact_validation.h"

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/mde_constants.h"
#include "common/status_macros.h"
#include "common/url_list.h"

namespace mdefleet {
namespace {

constexpr absl::string_view kValidUntilTag = "_valid_until_";
constexpr absl::string_view kMsiMagic("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
// A ZIP's first local file header (APPNOTE 4.3.7).
constexpr absl::string_view kZipMagic("PK\x03\x04", 4);

struct KindName {
  v1::ArtifactKind kind;
  absl::string_view name;
};

constexpr KindName kKindNames[] = {
    {v1::ARTIFACT_KIND_ONBOARDING_SCRIPT, "onboarding_script"},
    {v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT, "offboarding_script"},
    {v1::ARTIFACT_KIND_INSTALL_SCRIPT, "install_script"},
    {v1::ARTIFACT_KIND_INSTALLER_MSI, "installer_msi"},
    {v1::ARTIFACT_KIND_URL_LIST, "url_list"},
    {v1::ARTIFACT_KIND_CLIENT_ANALYZER, "client_analyzer"},
};

constexpr absl::string_view kKindList =
    "onboarding_script, offboarding_script, install_script, installer_msi, "
    "url_list, client_analyzer";

[[nodiscard]] absl::Status Invalid(absl::string_view field,
                                   absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// Text: no NUL bytes, unless it starts with a UTF-16 byte order mark.
[[nodiscard]] absl::Status CheckText(absl::string_view content,
                                     absl::string_view expected) {
  if (absl::StartsWith(content, "\xFF\xFE") ||
      absl::StartsWith(content, "\xFE\xFF")) {
    return absl::OkStatus();
  }
  if (content.find('\0') != absl::string_view::npos) {
    return Invalid("content",
                   absl::StrCat("not a text file (contains NUL bytes); "
                                "expected ",
                                expected));
  }
  return absl::OkStatus();
}

bool ContainsIgnoreCase(absl::string_view haystack, absl::string_view needle) {
  // (absl::StrContainsIgnoreCase is newer than Debian's Abseil.)
  return absl::StrContains(absl::AsciiStrToLower(haystack),
                           absl::AsciiStrToLower(needle));
}

bool HasOffboardingMarker(absl::string_view content) {
  return ContainsIgnoreCase(content, mde::kOffboardingMarker);
}

// A `reg add "HKLM\...\Windows Advanced Threat Protection" /v OnboardingInfo`
// line, quoted or not, any case.
bool HasOnboardingRegAdd(absl::string_view content) {
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    std::string lower = absl::AsciiStrToLower(line);
    if (absl::StrContains(lower, "reg add") &&
        absl::StrContains(lower, "windows advanced threat protection") &&
        (absl::StrContains(lower, "/v onboardinginfo") ||
         absl::StrContains(lower, "/v \"onboardinginfo\""))) {
      return true;
    }
  }
  return false;
}

bool LooksLikeOnboardingScript(absl::string_view content) {
  return HasOnboardingRegAdd(content) ||
         (ContainsIgnoreCase(content, mde::kOnboardingInfoValue) &&
          !HasOffboardingMarker(content));
}

// Install.ps1 refuses such a script (exit 37) and on 2019+ it would wait
// until the step times out.
[[nodiscard]] absl::Status CheckNotInteractive(absl::string_view content,
                                               absl::string_view what) {
  if (!WaitsForKeyPress(content)) return absl::OkStatus();
  return Invalid("content",
                 absl::StrCat("this ", what,
                              " waits for a key press (a \"pause\" line: the "
                              "\"Local Script\" package, which Install.ps1 "
                              "refuses with exit 37); download the Group "
                              "Policy package from the Defender portal"));
}

[[nodiscard]] absl::Status ValidateOnboarding(absl::string_view content) {
  RETURN_IF_ERROR(CheckText(content, "the onboarding .cmd script"));
  if (HasOffboardingMarker(content)) {
    return Invalid(
        "content",
        absl::StrCat("this is an offboarding script (it carries the ",
                     mde::kOffboardingMarker,
                     " marker); upload it as offboarding_script"));
  }
  if (!ContainsIgnoreCase(content, mde::kOnboardingInfoValue)) {
    return Invalid(
        "content",
        absl::StrCat("not an onboarding script: no ", mde::kOnboardingInfoValue,
                     " marker (reg add \"HKLM\\", mde::kAtpPolicyKey, "\" /v ",
                     mde::kOnboardingInfoValue,
                     "); download the Group Policy onboarding package from "
                     "the Defender portal"));
  }
  return CheckNotInteractive(content, "onboarding script");
}

[[nodiscard]] absl::Status ValidateOffboardingContent(
    absl::string_view content) {
  RETURN_IF_ERROR(CheckText(content, "the offboarding .cmd script"));
  if (LooksLikeOnboardingScript(content)) {
    return Invalid("content",
                   absl::StrCat("this is an onboarding script (it sets ",
                                mde::kOnboardingInfoValue,
                                "); upload it as onboarding_script"));
  }
  if (!HasOffboardingMarker(content)) {
    return Invalid(
        "content",
        absl::StrCat("not an offboarding script: no ", mde::kOffboardingMarker,
                     " marker (reg add \"HKLM\\", mde::kAtpPolicyKey, "\" /v ",
                     mde::kOffboardingMarker,
                     "); download the Group Policy offboarding package from "
                     "the Defender portal"));
  }
  return CheckNotInteractive(content, "offboarding script");
}

[[nodiscard]] absl::Status ValidateInstallScript(absl::string_view name,
                                                 absl::string_view content) {
  if (!absl::EndsWithIgnoreCase(name, ".ps1")) {
    return Invalid("name",
                   absl::StrCat("\"", name,
                                "\" is not a .ps1 file; upload "
                                "Install.ps1 from the Defender portal"));
  }
  RETURN_IF_ERROR(CheckText(content, "the Install.ps1 PowerShell script"));
  if (absl::StripAsciiWhitespace(content).empty()) {
    return Invalid("content", "only whitespace; expected Install.ps1");
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ValidateMsi(absl::string_view content) {
  if (!absl::StartsWith(content, kMsiMagic)) {
    return Invalid("content",
                   "not an MSI (OLE compound file); upload md4ws.msi from the "
                   "Defender portal");
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ValidateUrlList(absl::string_view content) {
  RETURN_IF_ERROR(CheckText(content, "one https:// URL per line"));
  return ParseUrlList(content).status();
}

// Two digits or four at `s`, as a number; false if not all digits.
bool ParseDigits(absl::string_view s, int* out) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(s, out);
}

}  // namespace

absl::Status CheckArtifactName(absl::string_view name,
                               absl::string_view field) {
  if (name.empty()) {
    return Invalid(field, "empty; give the original file name");
  }
  if (name.size() > kMaxArtifactNameLength) {
    return Invalid(field, absl::StrCat("longer than ", kMaxArtifactNameLength,
                                       " characters; shorten it"));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-' && c != ' ') {
      // Quoting the name would echo control characters: name the byte.
      const bool printable = absl::ascii_isgraph(static_cast<unsigned char>(c));
      return Invalid(
          field,
          absl::StrCat(
              "contains ",
              printable ? absl::StrCat("'", std::string(1, c), "'")
                        : absl::StrFormat("the byte 0x%02X",
                                          static_cast<unsigned char>(c)),
              "; an artifact name may hold only ASCII letters, digits, '.', "
              "'_', '-' and spaces (cmd.exe and Windows treat other "
              "characters specially); rename the file"));
    }
  }
  if (name.front() == ' ') {
    return Invalid(field, absl::StrCat("\"", name,
                                       "\" starts with a space; rename the "
                                       "file"));
  }
  if (name.back() == '.' || name.back() == ' ') {
    return Invalid(field, absl::StrCat("\"", name, "\" ends with a ",
                                       name.back() == '.' ? "dot" : "space",
                                       ", which Windows drops from file names; "
                                       "rename the file"));
  }
  // Windows opens the device, not a file, for these names, with or without
  // an extension and with spaces before the first dot.
  std::string base = absl::AsciiStrToUpper(name.substr(0, name.find('.')));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  const bool reserved =
      base == "CON" || base == "PRN" || base == "AUX" || base == "NUL" ||
      (base.size() == 4 &&
       (absl::StartsWith(base, "COM") || absl::StartsWith(base, "LPT")) &&
       absl::ascii_isdigit(static_cast<unsigned char>(base[3])));
  if (reserved) {
    return Invalid(field, absl::StrCat("\"", name,
                                       "\" is a name Windows "
                                       "reserves for a device (",
                                       base, "); rename the file"));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilDay> ParseValidUntil(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  const size_t at = absl::string_view(lower).rfind(kValidUntilTag);
  const absl::Status missing = Invalid(
      "name", absl::StrCat("\"", name,
                           "\" has no _valid_until_YYYY-MM-DD date; keep the "
                           "offboarding script's original file name"));
  if (at == absl::string_view::npos) return missing;
  absl::string_view rest =
      absl::string_view(name).substr(at + kValidUntilTag.size());
  int year = 0, month = 0, day = 0;
  bool parsed = false;
  if (rest.size() >= 10 && rest[4] == '-' && rest[7] == '-') {
    parsed = ParseDigits(rest.substr(0, 4), &year) &&
             ParseDigits(rest.substr(5, 2), &month) &&
             ParseDigits(rest.substr(8, 2), &day);
    rest.remove_prefix(10);
  } else if (rest.size() >= 8) {
    parsed = ParseDigits(rest.substr(0, 4), &year) &&
             ParseDigits(rest.substr(4, 2), &month) &&
             ParseDigits(rest.substr(6, 2), &day);
    rest.remove_prefix(8);
  }
  // The date must end there: an extension or a " (1)" a browser added may
  // follow, more digits or letters may not.
  if (!parsed ||
      (!rest.empty() &&
       absl::ascii_isalnum(static_cast<unsigned char>(rest.front())))) {
    return missing;
  }
  const absl::CivilDay date(year, month, day);
  if (date.year() != year || date.month() != month || date.day() != day) {
    return Invalid("name", absl::StrCat("\"", name, "\" has an invalid date ",
                                        absl::StrFormat("%04d-%02d-%02d", year,
                                                        month, day)));
  }
  return date;
}

absl::Status CheckNotExpired(absl::CivilDay valid_until, absl::CivilDay today) {
  if (valid_until < today) {
    return absl::FailedPreconditionError(absl::StrCat(
        "offboarding script expired on ", absl::FormatCivilTime(valid_until),
        "; download a new offboarding package"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ValidatedArtifact> ValidateArtifact(v1::ArtifactKind kind,
                                                   absl::string_view name,
                                                   absl::string_view content,
                                                   absl::CivilDay today) {
  if (kind == v1::ARTIFACT_KIND_UNSPECIFIED ||
      !v1::ArtifactKind_IsValid(kind)) {
    return Invalid("kind", absl::StrCat("unspecified artifact kind; expected "
                                        "one of ",
                                        kKindList));
  }
  RETURN_IF_ERROR(CheckArtifactName(name));
  if (content.empty()) return Invalid("content", "empty file");
  ValidatedArtifact result;
  switch (kind) {
    case v1::ARTIFACT_KIND_ONBOARDING_SCRIPT:
      RETURN_IF_ERROR(ValidateOnboarding(content));
      result.secret = true;
      break;
    case v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT: {
      RETURN_IF_ERROR(ValidateOffboardingContent(content));
      ASSIGN_OR_RETURN(absl::CivilDay valid_until, ParseValidUntil(name));
      if (!CheckNotExpired(valid_until, today).ok()) {
        return Invalid(
            "name",
            absl::StrCat("offboarding script expired on ",
                         absl::FormatCivilTime(valid_until), " (today is ",
                         absl::FormatCivilTime(today),
                         "); download a new offboarding package from the "
                         "Defender portal"));
      }
      result.valid_until = valid_until;
      break;
    }
    case v1::ARTIFACT_KIND_INSTALL_SCRIPT:
      RETURN_IF_ERROR(ValidateInstallScript(name, content));
      break;
    case v1::ARTIFACT_KIND_INSTALLER_MSI:
      RETURN_IF_ERROR(ValidateMsi(content));
      break;
    case v1::ARTIFACT_KIND_URL_LIST:
      RETURN_IF_ERROR(ValidateUrlList(content));
      break;
    case v1::ARTIFACT_KIND_CLIENT_ANALYZER:
      // The entries are checked by the server
      // (common/zip/client_analyzer_zip.h: this library is also the Windows
      // runner's and links no ZIP reader).
      if (!absl::StartsWith(content, kZipMagic)) {
        return Invalid("content",
                       "not a ZIP file; upload Microsoft's "
                       "MDEClientAnalyzer.zip as downloaded");
      }
      break;
    default:
      return Invalid("kind", absl::StrCat("unknown artifact kind ",
                                          static_cast<int>(kind)));
  }
  return result;
}

std::string ArtifactKindName(v1::ArtifactKind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return std::string(k.name);
  }
  return "unspecified";
}

absl::StatusOr<v1::ArtifactKind> ParseArtifactKind(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  absl::string_view s = lower;
  absl::ConsumePrefix(&s, "artifact_kind_");
  for (const KindName& k : kKindNames) {
    if (s == k.name) return k.kind;
  }
  return Invalid("kind", absl::StrCat("unknown artifact kind \"", name,
                                      "\"; expected one of ", kKindList));
}

bool WaitsForKeyPress(absl::string_view content) {
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    if (absl::EqualsIgnoreCase(absl::StripSuffix(line, "\r"), "pause")) {
      return true;
    }
  }
  return false;
}

}  // namespace mdefleet

// libFuzzer target: upload-time artifact classification
// (common/artifact_validation.h), which sees every uploaded file's name and
// content: the onboarding/offboarding script detection, the expiry read from
// an offboarding script's name, the URL list parser. Uploads come from
// operators, but the files come from wherever they downloaded them.
//
// Input: "<kind>\n<file name>\n<content>". <kind> as mdefleetctl takes it
// ("onboarding_script", ...), else a number (any ArtifactKind value, valid
// or not).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/artifact_validation.h"
#include "tests/fuzz/fuzz_check.h"

namespace mdefleet {
namespace {

const absl::CivilDay kToday(2025, 3, 15);

// Splits off the text up to the first '\n' (all of it when there is none).
absl::string_view NextLine(absl::string_view* rest) {
  const size_t end = rest->find('\n');
  absl::string_view line = rest->substr(0, end);
  rest->remove_prefix(end == absl::string_view::npos ? rest->size() : end + 1);
  return line;
}

v1::ArtifactKind KindOf(absl::string_view text) {
  absl::StatusOr<v1::ArtifactKind> kind = ParseArtifactKind(text);
  if (kind.ok()) {
    FUZZ_CHECK(ParseArtifactKind(ArtifactKindName(*kind)).value() == *kind,
               "kind names do not round-trip");
    return *kind;
  }
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) {
    return static_cast<v1::ArtifactKind>(number);
  }
  return v1::ARTIFACT_KIND_UNSPECIFIED;
}

int FuzzArtifact(const uint8_t* data, size_t size) {
  absl::string_view rest(reinterpret_cast<const char*>(data), size);
  const v1::ArtifactKind kind = KindOf(NextLine(&rest));
  const absl::string_view name = NextLine(&rest);
  const absl::string_view content = rest;

  absl::StatusOr<absl::CivilDay> valid_until = ParseValidUntil(name);
  if (valid_until.ok()) {
    CheckNotExpired(*valid_until, kToday).IgnoreError();
  }
  absl::StatusOr<ValidatedArtifact> result =
      ValidateArtifact(kind, name, content, kToday);
  if (!result.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(result.status()),
               result.status().ToString());
    // Scripts are secrets: an error never quotes their content (a URL
    // list's errors quote the bad URL). The seeds' tenant data carries this
    // canary, which no fixed message text has.
    constexpr absl::string_view kCanary = "SECRET";
    if (kind != v1::ARTIFACT_KIND_URL_LIST &&
        absl::StrContains(content, kCanary) &&
        !absl::StrContains(name, kCanary)) {
      FUZZ_CHECK(!absl::StrContains(result.status().message(), kCanary),
                 "an error quotes the content");
    }
    return 0;
  }
  FUZZ_CHECK(result->secret == (kind == v1::ARTIFACT_KIND_ONBOARDING_SCRIPT),
             "only onboarding scripts are secret");
  if (kind == v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT) {
    FUZZ_CHECK(result->valid_until.has_value() && valid_until.ok() &&
                   *result->valid_until == *valid_until &&
                   *valid_until >= kToday,
               "an accepted offboarding script without a valid date");
  } else {
    FUZZ_CHECK(!result->valid_until.has_value(), "valid_until on a non-script");
  }
  return 0;
}

}  // namespace
}  // namespace mdefleet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return mdefleet::FuzzArtifact(data, size);
}

#include "common/duration_text.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace mdefleet {
namespace {

struct Unit {
  absl::string_view name;
  absl::Duration size;
};

[[nodiscard]] absl::Status BadDuration(absl::string_view what,
                                       absl::string_view text,
                                       absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " \"", text, "\": ", why,
                   " (expected e.g. 90s, 10m, 2h, 7d, 1h30m; units ms, s, m, "
                   "h, d, w)"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDurationText(absl::string_view text,
                                                 absl::string_view what) {
  const Unit units[] = {
      {"ms", absl::Milliseconds(1)}, {"s", absl::Seconds(1)},
      {"m", absl::Minutes(1)},       {"h", absl::Hours(1)},
      {"d", absl::Hours(24)},        {"w", absl::Hours(24 * 7)},
  };
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  if (rest.empty()) return BadDuration(what, text, "empty duration");
  if (rest == "0") return absl::ZeroDuration();
  if (rest[0] == '-') return BadDuration(what, text, "must not be negative");
  absl::Duration total = absl::ZeroDuration();
  while (!rest.empty()) {
    size_t n = 0;
    while (n < rest.size() &&
           (absl::ascii_isdigit(static_cast<unsigned char>(rest[n])) ||
            rest[n] == '.')) {
      ++n;
    }
    if (n == 0) return BadDuration(what, text, "expected a number");
    double value = 0;
    if (!absl::SimpleAtod(rest.substr(0, n), &value) || !std::isfinite(value)) {
      return BadDuration(what, text, "malformed number");
    }
    rest.remove_prefix(n);
    size_t u = 0;
    while (u < rest.size() &&
           absl::ascii_isalpha(static_cast<unsigned char>(rest[u]))) {
      ++u;
    }
    if (u == 0) return BadDuration(what, text, "missing unit");
    const absl::string_view unit_name = rest.substr(0, u);
    rest.remove_prefix(u);
    const Unit* unit = nullptr;
    for (const Unit& candidate : units) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) {
      return BadDuration(what, text,
                         absl::StrCat("unknown unit \"", unit_name, "\""));
    }
    total += value * unit->size;
  }
  if (total > absl::Hours(24 * 365 * 100)) {
    return BadDuration(what, text, "too long");
  }
  return total;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

}  // namespace mdefleet

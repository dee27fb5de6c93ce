#include "server/defender/log_text.h"

#include "absl/strings/str_cat.h"

namespace mdefleet::defender {

std::string Iso(absl::Time t) {
  if (t == absl::InfinitePast()) return "(none)";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string Seconds(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1))),
                      "s");
}

}  // namespace mdefleet::defender

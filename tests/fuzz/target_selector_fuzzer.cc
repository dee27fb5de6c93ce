// libFuzzer target: target selectors. mdefleetctl parses --target values
// (server/cli/target_parser.h) into a TargetSelector; the server validates
// the selector of every submitted spec and matches its hostname glob against
// the host names runners report (GlobMatches, the store's mdf_glob). Both the
// glob and the host names are untrusted.
//
// Input: one --target value per line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/job_spec_validation.h"
#include "server/cli/target_parser.h"
#include "tests/fuzz/fuzz_check.h"

namespace mdefleet {
namespace {

int FuzzTargetSelector(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> targets = absl::StrSplit(text, '\n');
  absl::StatusOr<v1::TargetSelector> selector = cli::ParseTargets(targets);
  if (!selector.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(selector.status()),
               selector.status().ToString());
    return 0;
  }
  cli::DescribeTarget(*selector);
  v1::JobSpec spec;
  spec.set_kind("health_check");
  *spec.mutable_target() = *selector;
  const absl::Status valid = ValidateJobSpec(spec);
  FUZZ_CHECK(valid.ok() || absl::IsInvalidArgument(valid), valid.ToString());
  // The glob against host names as runners report them: the other lines.
  const std::string& glob = selector->hostname_glob();
  if (glob.empty()) return 0;
  const bool literal = glob.find_first_of("*?") == std::string::npos;
  for (const std::string& host : targets) {
    const bool match = GlobMatches(glob, host);
    if (literal) {
      FUZZ_CHECK(match == absl::EqualsIgnoreCase(glob, host),
                 "a glob without wildcards is not a case-insensitive "
                 "comparison");
    }
  }
  return 0;
}

}  // namespace
}  // namespace mdefleet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return mdefleet::FuzzTargetSelector(data, size);
}

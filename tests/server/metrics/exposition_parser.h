// A strict parser of the Prometheus text exposition format 0.0.4, for tests:
// it refuses whatever the format forbids (and the few spellings a Prometheus
// server would read differently), so a test that parses /metrics proves the
// output is valid, not just that a lenient reader got something out of it.
#ifndef MDEFLEET_TESTS_SERVER_METRICS_EXPOSITION_PARSER_H_
#define MDEFLEET_TESTS_SERVER_METRICS_EXPOSITION_PARSER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::testing {

struct ParsedSample {
  std::string name;  // as written: "x_bucket" for a histogram x
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

struct ParsedFamily {
  std::string name;
  std::optional<std::string> help;  // unescaped
  std::string type = "untyped";
  bool type_given = false;
  std::vector<ParsedSample> samples;
};

struct Exposition {
  std::vector<ParsedFamily> families;  // in the order they appear

  const ParsedFamily* Family(absl::string_view name) const;
  // The value of the sample `name` with exactly `labels`, if present.
  std::optional<double> Value(
      absl::string_view name,
      const std::map<std::string, std::string>& labels = {}) const;
};

// InvalidArgument "line N: ..." for the first violation of:
// - the text (when not empty) ends with "\n" and is valid UTF-8;
// - metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
//   [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__"; no label twice;
// - label values are quoted, escaping only \\, \" and \n; HELP text
//   escapes only \\ and \n;
// - values are decimal floats or exactly +Inf, -Inf, NaN; an optional
//   timestamp is an integer; no stray blanks;
// - at most one HELP and one TYPE per family, TYPE before the family's
//   first sample, a known type; all lines of a family together (no
//   interleaving);
// - no two samples with the same name and label set;
// - a sample's name is its family's (histograms: _bucket, _sum, _count;
//   summaries: the name, _sum, _count); counters and histogram counts
//   are not negative or NaN;
// - histograms: every series has _bucket lines with an "le" label, le
//   strictly increasing, counts cumulative (non-decreasing), a last bucket
//   le="+Inf", a _sum, and a _count equal to the +Inf bucket.
absl::StatusOr<Exposition> ParseExposition(absl::string_view text);

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_SERVER_METRICS_EXPOSITION_PARSER_H_

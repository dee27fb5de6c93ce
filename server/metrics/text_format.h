// The Prometheus text exposition format, version 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/
#ifndef MDEFLEET_SERVER_METRICS_TEXT_FORMAT_H_
#define MDEFLEET_SERVER_METRICS_TEXT_FORMAT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/metrics/snapshot.h"

namespace mdefleet::metrics {

// The Content-Type of a /metrics response in this format.
inline constexpr absl::string_view kTextFormatContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// A sample value as Prometheus parses it: whole numbers without exponent or
// fraction ("1000000", not "1e+06"), others in the shortest form that reads
// back to the same double, and "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);

// Label values escape backslash, double quote and newline; HELP text escapes
// backslash and newline. Both replace bytes that are not UTF-8 with U+FFFD
// (the format is UTF-8, and a parser rejects the whole scrape otherwise).
std::string EscapeLabelValue(absl::string_view value);
std::string EscapeHelp(absl::string_view help);

// Appends one family: "# HELP", "# TYPE", then its samples (histograms as
// _bucket{le} cumulative with "+Inf", _sum, _count). Names must be valid
// (the registry checks them).
void AppendFamily(const FamilySnapshot& family, std::string& out);

// Every family in the given order; each line ends with "\n".
std::string WriteTextFormat(const std::vector<FamilySnapshot>& families);

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_TEXT_FORMAT_H_

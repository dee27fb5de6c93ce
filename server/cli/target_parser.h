// The --target flag of `jobs submit`: "all", "id:<device-id>",
// "host:<glob>", "label:<key>=<value>", "os:<family>".
#ifndef MDEFLEET_SERVER_CLI_TARGET_PARSER_H_
#define MDEFLEET_SERVER_CLI_TARGET_PARSER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet::cli {

// Builds a TargetSelector from repeated --target values. Different kinds of
// criteria combine with AND (os:2016 and label:site=tokyo = 2016 servers in
// tokyo); several id: or os: values are alternatives within their kind (the
// selector's repeated fields). One host: glob at most; a label key at most
// once. Usage errors name --target and the bad value; an empty list is an
// error too (the whole fleet must be asked for with "all").
[[nodiscard]] absl::StatusOr<v1::TargetSelector> ParseTargets(
    const std::vector<std::string>& targets);

// One line for humans: "all", "host:web-* AND os:2016|2019".
std::string DescribeTarget(const v1::TargetSelector& target);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_TARGET_PARSER_H_

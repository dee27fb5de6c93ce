// The query string of an HTTP API request, parsed strictly: every parameter
// once, percent-escapes well formed, values UTF-8, and typed readers whose
// errors name the parameter (InvalidArgument "state: ...", answered 400).
#ifndef MDEFLEET_SERVER_HTTP_QUERY_PARAMS_H_
#define MDEFLEET_SERVER_HTTP_QUERY_PARAMS_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"

namespace mdefleet::http {

// Longest parameter name or value quoted back in an error message.
inline constexpr size_t kMaxQuoted = 64;

// `text` for an error message: C-escaped (so always printable ASCII) and cut
// to kMaxQuoted bytes.
std::string Quote(absl::string_view text);

// True when `text` is well-formed UTF-8 (no overlong forms or surrogates).
bool IsValidUtf8(absl::string_view text);

class QueryParams {
 public:
  // Parses "a=1&b=x%20y" (the part after '?'; "+" is a space, as forms send
  // it). A value may contain '=' ("label=site=paris"). InvalidArgument for a
  // bad percent-escape, a name or value that is not UTF-8 or holds control
  // characters, an empty name or a parameter given twice, naming it.
  [[nodiscard]] static absl::StatusOr<QueryParams> Parse(
      absl::string_view query);

  // InvalidArgument "unknown parameter \"x\" (this route takes a, b)" for
  // the first parameter not in `allowed`.
  [[nodiscard]] absl::Status AllowOnly(
      std::initializer_list<absl::string_view> allowed) const;

  // The value of `name`, when given (possibly empty).
  std::optional<std::string> Get(absl::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// A duration such as 90s, 36h, 7d (common/duration_text.h).
[[nodiscard]] absl::StatusOr<google::protobuf::Duration> ParseDurationParam(
    absl::string_view name, absl::string_view value);

// A count from 1 to `max`: InvalidArgument "page_size: at most 5000" over it
// (the gRPC handlers would silently cap it; over HTTP a caller learns its
// pages are not what it asked for).
[[nodiscard]] absl::StatusOr<uint32_t> ParseCountParam(absl::string_view name,
                                                       absl::string_view value,
                                                       uint32_t max);

}  // namespace mdefleet::http

#endif  // MDEFLEET_SERVER_HTTP_QUERY_PARAMS_H_

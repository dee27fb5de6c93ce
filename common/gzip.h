// gzip (RFC 1952) with zlib, for the evidence a failed step leaves behind:
// compressed on the device, stored compressed, opened when an operator
// reads it. Decompression is bounded so a crafted upload cannot exhaust the
// server's memory (a "zip bomb").
#ifndef MDEFLEET_COMMON_GZIP_H_
#define MDEFLEET_COMMON_GZIP_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet {

// `data` gzip-compressed (best compression: logs compress tenfold).
[[nodiscard]] absl::StatusOr<std::string> GzipCompress(absl::string_view data);

// The content of the gzip stream `gz`. InvalidArgument when it is not one
// complete gzip stream, or when it holds more than `max_bytes`.
[[nodiscard]] absl::StatusOr<std::string> GzipDecompress(absl::string_view gz,
                                                         size_t max_bytes);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_GZIP_H_

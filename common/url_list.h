// URL lists (artifacts of kind URL_LIST) for connectivity_test: one https://
// URL per line, '#' comments and blank lines allowed. Checked at upload and
// parsed again by the server when it plans a connectivity_test.
#ifndef MDEFLEET_COMMON_URL_LIST_H_
#define MDEFLEET_COMMON_URL_LIST_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet {

// Each URL is one step of every device's connectivity_test, and each takes
// up to a minute when it times out: a list longer than this is a mistake
// (the Defender URL spreadsheet for one region has a few dozen rows).
inline constexpr size_t kMaxUrlListUrls = 200;
inline constexpr size_t kMaxUrlListBytes = 64 * 1024;
inline constexpr size_t kMaxUrlLength = 2048;

// The URLs of `content`, in order, duplicates removed (case-sensitive path,
// as sent). InvalidArgument "content: line N: ..." naming the first bad line
// (not https://, no host, spaces inside, too long), too many URLs or bytes,
// or no URL at all. Quotes only a line that is a URL (never a line of a
// wrong file, which may be a secret script).
absl::StatusOr<std::vector<std::string>> ParseUrlList(
    absl::string_view content);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_URL_LIST_H_

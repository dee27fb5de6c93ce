// UTF-8 <-> UTF-16 for the W APIs. The runner's strings are UTF-8
// everywhere; Windows is spoken to in UTF-16 only at the call.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_WIDE_STRING_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_WIDE_STRING_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mdefleet::runner::win {

// `utf8` as UTF-16. Invalid UTF-8 becomes U+FFFD.
std::wstring Utf8ToWide(absl::string_view utf8);

// `wide` as UTF-8. Unpaired surrogates become U+FFFD.
std::string WideToUtf8(std::wstring_view wide);

// `bytes` in code page `code_page` (e.g. the OEM code page a console program
// writes in) as UTF-8.
std::string CodePageToUtf8(absl::string_view bytes, unsigned code_page);

// Whether `text` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view text);

// InvalidArgument naming `what` when `text` contains a NUL character: the W
// APIs take NUL-terminated strings, so "a\0b" would silently become "a".
[[nodiscard]] absl::Status CheckNoNul(absl::string_view text,
                                      absl::string_view what);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_WIDE_STRING_H_

// URL lists (artifacts of kind URL_LIST) for connectivity_test: one https://
// URL per line (http:// only for the certificate revocation and trust list
// endpoints, which are plain HTTP), '#' comments and blank lines allowed.
// Checked at upload and parsed again by the server when it plans a
// connectivity_test.
#ifndef MDEFLEET_COMMON_URL_LIST_H_
#define MDEFLEET_COMMON_URL_LIST_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet {

// Each URL is one step of every device's connectivity_test, and each takes
// up to a minute when it times out: a list longer than this is a mistake
// (the Defender URL spreadsheet for one region has a few dozen rows).
inline constexpr size_t kMaxUrlListUrls = 200;
inline constexpr size_t kMaxUrlListBytes = 64 * 1024;
inline constexpr size_t kMaxUrlLength = 2048;

// The hosts that serve certificate revocation lists and the trust list over
// plain HTTP, as Microsoft's Defender URL list names them (the "CRL" rows)
// and seed 003 (cp.wd.microsoft.com, fetched by cloud protection).
inline constexpr absl::string_view kRevocationHosts[] = {
    "crl.microsoft.com", "ctldl.windowsupdate.com", "www.microsoft.com",
    "cp.wd.microsoft.com"};

// Whether `url` is http:// to one of kRevocationHosts.
bool IsRevocationEndpoint(absl::string_view url);

// One URL by the rules below (not https://, plain http:// to a host other
// than kRevocationHosts, no host, spaces inside, too long): InvalidArgument
// saying what is wrong, quoting the URL.
[[nodiscard]] absl::Status CheckUrlListEntry(absl::string_view url);

// The URLs of `content`, in order, duplicates removed (case-sensitive path,
// as sent). InvalidArgument "content: line N: ..." naming the first bad line
// (not https://, plain http:// to a host other than kRevocationHosts, no
// host, spaces inside, too long), too many URLs or bytes,
// or no URL at all. Quotes only a line that is a URL (never a line of a
// wrong file, which may be a secret script).
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ParseUrlList(
    absl::string_view content);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_URL_LIST_H_

#include "common/gzip.h"

#include <zlib.h>

#include <limits>

#include "absl/strings/str_cat.h"

namespace mdefleet {
namespace {

// windowBits 15 + 16: a gzip header and trailer instead of zlib's.
constexpr int kGzipWindowBits = 15 + 16;

}  // namespace

absl::StatusOr<std::string> GzipCompress(absl::string_view data) {
  if (data.size() > std::numeric_limits<uInt>::max()) {
    return absl::InvalidArgumentError("gzip: input over 4 GiB");
  }
  z_stream z = {};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return absl::InternalError(absl::StrCat("gzip: deflate returned ", rc));
  }
  out.resize(written);
  return out;
}

absl::StatusOr<std::string> GzipDecompress(absl::string_view gz,
                                           size_t max_bytes) {
  if (gz.size() > std::numeric_limits<uInt>::max()) {
    return absl::InvalidArgumentError("not gzip: over 4 GiB");
  }
  z_stream z = {};
  if (inflateInit2(&z, kGzipWindowBits) != Z_OK) {
    return absl::InternalError("gzip: inflateInit2 failed");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buffer[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    const size_t produced = sizeof(buffer) - z.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&z);
      return absl::InvalidArgumentError(
          absl::StrCat("holds more than ", max_bytes, " bytes uncompressed"));
    }
    out.append(buffer, produced);
    if (rc == Z_OK && produced == 0 && z.avail_in == 0) break;  // truncated
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  if (!whole) {
    return absl::InvalidArgumentError(
        "is not one complete gzip stream (corrupt, truncated or followed by "
        "other data)");
  }
  return out;
}

}  // namespace mdefleet

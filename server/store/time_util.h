// Times in the store are microseconds since the Unix epoch (UTC).
#ifndef MDEFLEET_SERVER_STORE_TIME_UTIL_H_
#define MDEFLEET_SERVER_STORE_TIME_UTIL_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace mdefleet::store {

inline int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
inline absl::Time FromMicros(int64_t micros) {
  return absl::FromUnixMicros(micros);
}

inline void SetTimestamp(int64_t micros, google::protobuf::Timestamp* out) {
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

// Sets *out only when the time is present.
template <typename Setter>
void SetOptionalTimestamp(std::optional<int64_t> micros, Setter mutable_ts) {
  if (micros.has_value()) SetTimestamp(*micros, mutable_ts());
}

// Micros of a Timestamp; nullopt when unset (all zero).
inline std::optional<int64_t> TimestampMicros(
    const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return std::nullopt;
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_TIME_UTIL_H_

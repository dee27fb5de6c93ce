// gRPC metadata keys the server and the runner agree on.
#ifndef MDEFLEET_COMMON_RPC_METADATA_H_
#define MDEFLEET_COMMON_RPC_METADATA_H_

namespace mdefleet {

// Trailing metadata of a call refused with RESOURCE_EXHAUSTED because the
// server is at its connection limit: how long to wait before retrying, in
// milliseconds (decimal).
inline constexpr char kRetryAfterMetadata[] = "mdefleet-retry-after-ms";

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_RPC_METADATA_H_

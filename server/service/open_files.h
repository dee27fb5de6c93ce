// The process's open-descriptor limit and use. gRPC C++ stops accepting on a
// listener for good after accept4 fails with EMFILE (grpc/grpc issues 16058,
// 20418), so serve raises the limit at start and refuses work before it.
#ifndef MDEFLEET_SERVER_SERVICE_OPEN_FILES_H_
#define MDEFLEET_SERVER_SERVICE_OPEN_FILES_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace mdefleet::service {

struct OpenFilesLimit {
  uint64_t soft_before = 0;  // RLIMIT_NOFILE's soft limit at start
  uint64_t soft = 0;         // after raising it
  uint64_t hard = 0;
};

// Raises RLIMIT_NOFILE's soft limit to the hard limit (what an unprivileged
// process may do). Internal when getrlimit/setrlimit fail.
[[nodiscard]] absl::StatusOr<OpenFilesLimit> RaiseOpenFilesLimit();

// Descriptors this process has open now (entries of /proc/self/fd).
[[nodiscard]] absl::StatusOr<int> CountOpenFiles();

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_OPEN_FILES_H_

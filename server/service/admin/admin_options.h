// What serve sets for the AdminService handlers, and the page limits they
// and the HTTP API share.
#ifndef MDEFLEET_SERVER_SERVICE_ADMIN_ADMIN_OPTIONS_H_
#define MDEFLEET_SERVER_SERVICE_ADMIN_ADMIN_OPTIONS_H_

#include <algorithm>
#include <cstdint>

#include "absl/time/time.h"
#include "server/service/stream_slots.h"

namespace mdefleet::service {

struct AdminOptions {
  absl::Duration online_window = absl::Seconds(90);
  // WatchJob re-reads at most this often while a job changes.
  absl::Duration watch_interval = absl::Milliseconds(200);
  // The server was started with Defender API credentials (api_offboard).
  bool defender_api_configured = false;
  // Open WatchJob streams per API token and in all (stream_slots.h).
  StreamLimits watch_streams{};
  // How long failed steps' evidence is kept (serve --evidence-retention).
  absl::Duration evidence_retention = absl::Hours(24 * 30);
};

// ListDevices and ListTasks pages: page_size 0 means the default; larger
// values are capped at the maximum. ListJobs: limit 0 means 50, capped.
inline constexpr uint32_t kDefaultPageSize = 500;
inline constexpr uint32_t kMaxPageSize = 5000;
inline constexpr uint32_t kMaxListJobsLimit = 1000;

// The page size a request's page_size asks for.
inline uint32_t PageSizeOf(uint32_t requested) {
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ADMIN_ADMIN_OPTIONS_H_

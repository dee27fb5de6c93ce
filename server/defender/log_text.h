// How the Defender workers write times and waits in task messages and logs.
#ifndef MDEFLEET_SERVER_DEFENDER_LOG_TEXT_H_
#define MDEFLEET_SERVER_DEFENDER_LOG_TEXT_H_

#include <string>

#include "absl/time/time.h"

namespace mdefleet::defender {

// "2024-03-01T12:00:00Z" (UTC); "(none)" for InfinitePast (never seen).
std::string Iso(absl::Time t);

// Whole seconds, rounded up: "31s".
std::string Seconds(absl::Duration d);

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_LOG_TEXT_H_

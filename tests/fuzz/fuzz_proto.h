// Parsing a fuzz input as a protobuf message.
#ifndef MDEFLEET_TESTS_FUZZ_FUZZ_PROTO_H_
#define MDEFLEET_TESTS_FUZZ_FUZZ_PROTO_H_

#include <cstddef>
#include <cstdint>

#include "google/protobuf/message_lite.h"
#include "google/protobuf/stubs/logging.h"

namespace mdefleet::fuzz {

// ParseFromArray without protobuf's log line for every string that is not
// UTF-8 (most mutated inputs; logging them would dominate the run). A false
// return is what the server's or runner's gRPC stack would refuse.
inline bool ParseQuietly(const uint8_t* data, size_t size,
                         google::protobuf::MessageLite* message) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  return message->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace mdefleet::fuzz

#endif  // MDEFLEET_TESTS_FUZZ_FUZZ_PROTO_H_

// A message's bytes, the same for equal messages: map entries are written in
// key order (protobuf's default order is unspecified and varies between
// equal maps). Stored blobs compared or hashed byte for byte need it.
#ifndef MDEFLEET_SERVER_STORE_DETERMINISTIC_BYTES_H_
#define MDEFLEET_SERVER_STORE_DETERMINISTIC_BYTES_H_

#include <string>

#include "google/protobuf/message_lite.h"

namespace mdefleet::store {

std::string DeterministicBytes(const google::protobuf::MessageLite& message);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_DETERMINISTIC_BYTES_H_

// What the store reports about its write transactions, for whoever watches
// it (serve's metrics); the store itself knows nothing of metrics.
#ifndef MDEFLEET_SERVER_STORE_WRITE_OBSERVER_H_
#define MDEFLEET_SERVER_STORE_WRITE_OBSERVER_H_

#include <cstddef>

#include "absl/time/time.h"

namespace mdefleet::store {

// Called on the writing thread once per group-commit transaction, after its
// COMMIT returned (or failed): it must be cheap and must not write to the
// store. Implementations are thread-safe only as far as one writer at a
// time needs (the group committer runs one transaction at a time).
class WriteObserver {
 public:
  virtual ~WriteObserver() = default;
  // `writes`: the writes the transaction carried; `elapsed`: BEGIN to
  // COMMIT returned, the fsync included.
  virtual void OnTransaction(size_t writes, absl::Duration elapsed) = 0;
};

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_WRITE_OBSERVER_H_

// The store's write transactions as the two group-commit histograms
// (mdefleet_sqlite_write_batch_size, mdefleet_sqlite_write_seconds).
#ifndef MDEFLEET_SERVER_METRICS_SQLITE_WRITE_METRICS_H_
#define MDEFLEET_SERVER_METRICS_SQLITE_WRITE_METRICS_H_

#include <prometheus/histogram.h>

#include <cstddef>

#include "absl/time/time.h"
#include "server/store/write_observer.h"

namespace mdefleet::metrics {

class SqliteWriteMetrics final : public store::WriteObserver {
 public:
  // Both histograms must outlive this (ServerMetrics' sqlite_write_*).
  SqliteWriteMetrics(prometheus::Histogram& batch_size,
                     prometheus::Histogram& seconds)
      : batch_size_(batch_size), seconds_(seconds) {}

  void OnTransaction(size_t writes, absl::Duration elapsed) override {
    batch_size_.Observe(static_cast<double>(writes));
    seconds_.Observe(absl::ToDoubleSeconds(elapsed));
  }

 private:
  prometheus::Histogram& batch_size_;
  prometheus::Histogram& seconds_;
};

}  // namespace mdefleet::metrics

#endif  // MDEFLEET_SERVER_METRICS_SQLITE_WRITE_METRICS_H_

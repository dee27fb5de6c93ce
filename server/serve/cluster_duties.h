// The work that must run once across the servers of one store: lease
// expiry, rollout timers and job deadlines, evidence retention (the lease
// reaper), and the Defender API workers with their shared budget. On SQLite
// there is one server, which runs them from start to stop. On PostgreSQL the
// replica holding the cluster's advisory lock runs them; the others try to
// take the lock every second, and one takes over when the holder dies or
// loses the database (docs/scale-out.md).
#ifndef MDEFLEET_SERVER_SERVE_CLUSTER_DUTIES_H_
#define MDEFLEET_SERVER_SERVE_CLUSTER_DUTIES_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/store/postgres/advisory_lock.h"

namespace mdefleet::serve {

class ClusterDuties {
 public:
  // Starts the duties (they run on threads of their own); an error means
  // they are not running.
  using StartFn = std::function<absl::Status()>;
  // Stops and frees what StartFn started (also after a partial start).
  using StopFn = std::function<void()>;

  // `lock`: the cluster's lock (PostgreSQL), or null: this server alone
  // (SQLite). `retry`: how often a replica without the lock tries for it,
  // and the holder checks it still holds it.
  ClusterDuties(std::unique_ptr<store::postgres::AdvisoryLock> lock,
                StartFn start, StopFn stop,
                absl::Duration retry = absl::Seconds(1));
  ~ClusterDuties() { Stop(); }
  ClusterDuties(const ClusterDuties&) = delete;
  ClusterDuties& operator=(const ClusterDuties&) = delete;

  // Alone: starts the duties now and returns their error. With a lock:
  // starts trying for it and returns Ok.
  [[nodiscard]] absl::Status Start();
  // Stops the duties (if running here) and the trying; gives the lock back.
  void Stop();
  // True while this server runs the duties.
  bool leading() const { return leading_.load(); }

 private:
  void Run();
  void Lead();
  void Resign(const char* why);

  std::unique_ptr<store::postgres::AdvisoryLock> lock_;
  const StartFn start_;
  const StopFn stop_;
  const absl::Duration retry_;
  std::atomic<bool> leading_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace mdefleet::serve

#endif  // MDEFLEET_SERVER_SERVE_CLUSTER_DUTIES_H_

// After-commit notifications: job watchers and waiting pollers.
#ifndef MDEFLEET_SERVER_SERVICE_EVENT_HUB_H_
#define MDEFLEET_SERVER_SERVICE_EVENT_HUB_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/store/store.h"
#include "server/store/task_transitions.h"

namespace mdefleet::service {

// Wakes long-polling devices that may have work now.
class DeviceWaker {
 public:
  virtual ~DeviceWaker() = default;
  // Wakes up to `max` of `device_ids` that are waiting (0: all of them).
  virtual void Wake(const std::vector<std::string>& device_ids, size_t max) = 0;
};

class EventHub {
 public:
  explicit EventHub(store::Store& store) : store_(store) {}

  // The poller to wake; may be null (tests without long-polling).
  void set_waker(DeviceWaker* waker) { waker_ = waker; }
  DeviceWaker* waker() const { return waker_; }

  // Replicas of one PostgreSQL store: `send` carries what this server's
  // Publish and WakeDevices saw to the others (serve wires it to a
  // LISTEN/NOTIFY channel), whose hubs apply it with ApplyFromCluster. Set
  // before serving.
  void set_cluster_sender(std::function<void(const std::string&)> send) {
    cluster_send_ = std::move(send);
  }

  // Publishes what a committed write changed: bumps job versions for
  // watchers, logs paused and finished jobs, and for every job that may lease
  // more now (freed_slots) wakes about twice as many waiting devices with
  // queued tasks in that job. Other replicas hear of the jobs and slots.
  void Publish(const store::WriteEffects& effects);
  // Wakes up to `max` (0: all) of `device_ids` that wait here, and tells the
  // other replicas to wake theirs.
  void WakeDevices(const std::vector<std::string>& device_ids, size_t max);
  // Applies a message another replica's hub sent: job versions bumped,
  // devices and freed slots woken here (nothing logged, nothing re-sent).
  // Lines it does not know are ignored.
  void ApplyFromCluster(absl::string_view message);

  // Current change version of a job (0 before any change).
  uint64_t JobVersion(absl::string_view job_id);
  // Blocks until the job's version differs from `seen` or `timeout` passes.
  // Returns the version then.
  uint64_t WaitForJobChange(absl::string_view job_id, uint64_t seen,
                            absl::Duration timeout);

 private:
  void BumpJobVersions(const std::set<std::string>& job_ids);
  void WakeForFreedSlots(const std::map<std::string, int>& freed_slots);

  store::Store& store_;
  DeviceWaker* waker_ = nullptr;
  std::function<void(const std::string&)> cluster_send_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, uint64_t, std::less<>> versions_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_EVENT_HUB_H_

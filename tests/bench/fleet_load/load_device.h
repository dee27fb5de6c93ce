// One simulated device of the multiplexed load: the runner's side of the
// protocol (enroll, long-poll, a RUNNING and a final report per step, fresh
// facts at the end of a task) as a chain of asynchronous calls on a shared
// channel, with no thread and no disk of its own. Steps "run" instantly and
// succeed: what is measured is the server's scheduler and store.
#ifndef MDEFLEET_TESTS_BENCH_FLEET_LOAD_LOAD_DEVICE_H_
#define MDEFLEET_TESTS_BENCH_FLEET_LOAD_LOAD_DEVICE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "runner/client/backoff.h"
#include "tests/bench/fleet_load/timer_queue.h"

namespace mdefleet::bench {

// What every device adds to; read by the progress line.
struct LoadCounters {
  std::atomic<int64_t> enrolled{0};
  std::atomic<int64_t> polls{0};
  std::atomic<int64_t> reports{0};
  std::atomic<int64_t> tasks_done{0};
  // Failed calls by gRPC status code (retried after a delay).
  std::array<std::atomic<int64_t>, 17> errors{};
};

struct LoadShared {
  std::string enrollment_secret;
  absl::Duration poll_wait = absl::Seconds(30);
  TimerQueue* timers = nullptr;
  LoadCounters* counters = nullptr;
};

class LoadDevice {
 public:
  // Device `number` (distinct across load processes: its host name and
  // machine identity derive from it) on `stub`, which many devices share.
  LoadDevice(int number, std::shared_ptr<v1::RunnerService::Stub> stub,
             const LoadShared& shared);
  LoadDevice(const LoadDevice&) = delete;
  LoadDevice& operator=(const LoadDevice&) = delete;

  // Enrolls, then polls and runs tasks until the process ends. `enrolled`
  // runs once, on the first successful Enroll (so the caller can start the
  // next device's enrollment: a bounded number are in flight).
  void Start(std::function<void()> enrolled);

 private:
  void Enroll();
  void Poll();
  // Reports step `index` in `state` (RUNNING, SUCCEEDED or SKIPPED), then
  // goes on to the next report or back to polling.
  void Report(uint32_t index, v1::StepState state);
  // Counts the failure and runs `again` later, as the runner would retry:
  // after the server's retry delay spread out, else with exponential backoff.
  void RetryLater(const grpc::Status& status,
                  const grpc::ClientContext& context,
                  std::function<void()> again);
  void Authorize(grpc::ClientContext* context, const std::string& credential,
                 absl::Duration timeout) const;

  const int number_;
  const std::shared_ptr<v1::RunnerService::Stub> stub_;
  const LoadShared& shared_;
  std::function<void()> enrolled_;
  v1::DeviceFacts facts_;
  std::string token_;
  // The task being run (one at a time, as the runner does).
  v1::LeasedTask task_;
  runner::Backoff backoff_;
  std::mt19937_64 random_;
};

}  // namespace mdefleet::bench

#endif  // MDEFLEET_TESTS_BENCH_FLEET_LOAD_LOAD_DEVICE_H_

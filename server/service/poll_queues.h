// PollTasks on gRPC's asynchronous API, its calls spread over several
// completion queues.
//
// Why not the callback API, which needs no queues of ours: Debian's libgrpc
// is built without NDEBUG, and in that build every completion queue keeps a
// list of the tags it has outstanding, appended to under the queue's lock on
// every operation and searched linearly on every completion (grpc's
// cq_check_tag). The callback API puts every call of a server on one queue,
// and each waiting poll keeps a tag there: with 100,000 devices waiting, that
// search was a quarter of the server's CPU and the queue's lock serialised
// every call. Here each queue holds 1/N of the waiting polls.
#ifndef MDEFLEET_SERVER_SERVICE_POLL_QUEUES_H_
#define MDEFLEET_SERVER_SERVICE_POLL_QUEUES_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "server/service/grpc_runner_service.h"

namespace mdefleet::service {

class PollQueues {
 public:
  // Calls each queue keeps requested, so a burst of polls need not wait for
  // a new request to be posted.
  static constexpr int kRequestedPerQueue = 16;

  // Adds `queues` completion queues to `builder`: construct before
  // builder.BuildAndStart(), with `service` registered on the same builder.
  PollQueues(GrpcRunnerService& service, grpc::ServerBuilder& builder,
             int queues);
  // Stop()s.
  ~PollQueues();
  PollQueues(const PollQueues&) = delete;
  PollQueues& operator=(const PollQueues&) = delete;

  // Starts one thread per queue; after BuildAndStart().
  void Start();
  // Shuts the queues down and drains them; after grpc::Server::Shutdown()
  // (gRPC's order), and before the service or the poller go away.
  void Stop();

 private:
  void Drive(grpc::ServerCompletionQueue* queue);

  GrpcRunnerService& service_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_POLL_QUEUES_H_

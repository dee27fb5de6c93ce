#include "server/service/poll_queues.h"

#include <atomic>
#include <utility>

#include "absl/container/flat_hash_set.h"

namespace mdefleet::service {
namespace {

// One PollTasks call, from its request being posted to gRPC being done with
// it. Its two tags come back on its queue's thread, which alone reads and
// writes its state; the poller's threads only Finish() it.
class AsyncPoll {
 public:
  struct Tag {
    AsyncPoll* call;
    bool done;  // the done notification; else the request or the Finish
  };

  AsyncPoll(GrpcRunnerService& service, grpc::ServerCompletionQueue* queue,
            const std::atomic<bool>& stopping)
      : service_(service), queue_(queue), stopping_(stopping) {}

  void Request() {
    context_.AsyncNotifyWhenDone(&done_tag_);
    service_.RequestPollTasks(&context_, &request_, &responder_, queue_, queue_,
                              &call_tag_);
  }

  // Handles one event of this call; returns whether the call is over (the
  // caller deletes it).
  bool Handle(const Tag& tag, bool ok, absl::flat_hash_set<AsyncPoll*>& live) {
    if (tag.done) {
      done_seen_ = true;
      // The client went away while its poll waited: free its place now.
      if (context_.IsCancelled() && call_ != nullptr) {
        service_.CancelPoll(call_);
      }
    } else if (!matched_) {
      if (!ok) {
        finished_ = true;  // shutting down: the request was never matched
        return false;      // deleted when the queue has drained
      }
      matched_ = true;
      if (!stopping_.load()) {  // a shut-down queue takes no new request
        auto* next = new AsyncPoll(service_, queue_, stopping_);
        live.insert(next);
        next->Request();
      }
      call_ = service_.StartPoll(
          context_, request_,
          [this](const grpc::Status& status,
                 const v1::PollTasksResponse* response) {
            if (status.ok()) {
              responder_.Finish(*response, status, &call_tag_);
            } else {
              responder_.FinishWithError(status, &call_tag_);
            }
          });
    } else {
      finished_ = true;  // the answer went out (or the call had ended)
    }
    return finished_ && done_seen_;
  }

 private:
  GrpcRunnerService& service_;
  grpc::ServerCompletionQueue* const queue_;
  const std::atomic<bool>& stopping_;
  grpc::ServerContext context_;
  v1::PollTasksRequest request_;
  grpc::ServerAsyncResponseWriter<v1::PollTasksResponse> responder_{&context_};
  Tag call_tag_{this, false};
  Tag done_tag_{this, true};
  std::shared_ptr<PollCall> call_;
  bool matched_ = false;
  bool finished_ = false;
  bool done_seen_ = false;
};

}  // namespace

PollQueues::PollQueues(GrpcRunnerService& service, grpc::ServerBuilder& builder,
                       int queues)
    : service_(service) {
  for (int i = 0; i < queues; ++i) {
    queues_.push_back(builder.AddCompletionQueue());
  }
}

PollQueues::~PollQueues() { Stop(); }

void PollQueues::Start() {
  started_ = true;
  for (auto& queue : queues_) {
    threads_.emplace_back([this, q = queue.get()] { Drive(q); });
  }
}

void PollQueues::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  for (auto& queue : queues_) queue->Shutdown();
  for (std::thread& t : threads_) t.join();
  if (!started_) {
    // Never driven: drain so the queues may be destroyed.
    void* tag;
    bool ok;
    for (auto& queue : queues_) {
      while (queue->Next(&tag, &ok)) {
      }
    }
  }
}

void PollQueues::Drive(grpc::ServerCompletionQueue* queue) {
  absl::flat_hash_set<AsyncPoll*> live;
  for (int i = 0; i < kRequestedPerQueue; ++i) {
    auto* call = new AsyncPoll(service_, queue, stopping_);
    live.insert(call);
    call->Request();
  }
  void* raw = nullptr;
  bool ok = false;
  while (queue->Next(&raw, &ok)) {
    const auto* tag = static_cast<const AsyncPoll::Tag*>(raw);
    AsyncPoll* call = tag->call;
    if (call->Handle(*tag, ok, live)) {
      live.erase(call);
      delete call;
    }
  }
  // Drained: nothing can arrive for the calls left (requests never matched).
  for (AsyncPoll* call : live) delete call;
}

}  // namespace mdefleet::service

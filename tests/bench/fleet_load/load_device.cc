#include "tests/bench/fleet_load/load_device.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/rpc_metadata.h"
#include "runner/client/grpc_runner_api.h"
#include "runner/host/sim/sim_machine.h"
#include "runner/host/sim/sim_profile.h"

namespace mdefleet::bench {
namespace {

constexpr absl::Duration kUnaryTimeout = absl::Seconds(30);
// The server holds a poll up to its wait; the deadline leaves it room.
constexpr absl::Duration kPollMargin = absl::Seconds(15);

template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
};

google::protobuf::Timestamp Now() {
  const int64_t nanos = absl::ToUnixNanos(absl::Now());
  google::protobuf::Timestamp ts;
  ts.set_seconds(nanos / 1000000000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return ts;
}

// The simulated fleet's mix (runner/host/sim: the four OS families in turn,
// site and role labels) under a host name of its own.
v1::DeviceFacts InitialFacts(int number) {
  const runner::sim::FleetMember member = runner::sim::FleetMemberAt(number);
  const runner::sim::OsRelease* os =
      runner::sim::FindOsRelease(member.profile.os);
  v1::DeviceFacts f;
  f.set_hostname(absl::StrFormat("LOAD-%06d", number));
  f.set_domain("load.example");
  if (os != nullptr) {
    f.set_os_product(std::string(os->product));
    f.set_os_version(
        absl::StrCat(os->major, ".", os->minor, ".", os->build, ".", os->ubr));
    f.set_os_build(os->build);
  }
  f.set_runner_version("fleet-load");
  f.mutable_labels()->insert(member.labels.begin(), member.labels.end());
  // Built into 2019 and later; 2012 R2 and 2016 get it from md4ws.
  f.set_sensor_installed(member.profile.os >= v1::OS_FAMILY_WS2019);
  f.set_sense_state(v1::SERVICE_STATE_STOPPED);
  f.set_onboarding_state(0);
  // A machine identity of its own (MachineGuid-shaped).
  f.set_host_identity(absl::StrFormat("00000000-0000-4000-8000-%012d", number));
  return f;
}

}  // namespace

LoadDevice::LoadDevice(int number,
                       std::shared_ptr<v1::RunnerService::Stub> stub,
                       const LoadShared& shared)
    : number_(number),
      stub_(std::move(stub)),
      shared_(shared),
      facts_(InitialFacts(number)),
      backoff_(absl::Seconds(1), absl::Seconds(30),
               static_cast<uint64_t>(number)),
      random_(static_cast<uint64_t>(number)) {}

void LoadDevice::Start(std::function<void()> enrolled) {
  enrolled_ = std::move(enrolled);
  Enroll();
}

void LoadDevice::Authorize(grpc::ClientContext* context,
                           const std::string& credential,
                           absl::Duration timeout) const {
  context->AddMetadata("authorization", absl::StrCat("Bearer ", credential));
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

void LoadDevice::RetryLater(const grpc::Status& status,
                            const grpc::ClientContext& context,
                            std::function<void()> again) {
  const int code = static_cast<int>(status.error_code());
  if (code >= 0 && code < static_cast<int>(shared_.counters->errors.size())) {
    shared_.counters->errors[code]++;
  }
  // The runner's policy: the server's retry delay spread over up to as much
  // again, else exponential backoff with jitter.
  absl::Duration delay = backoff_.Next();
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kRetryAfterMetadata);
  int64_t ms = 0;
  if (it != trailers.end() &&
      absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()),
                       &ms) &&
      ms > 0 && ms <= runner::kMaxRetryAfterMs) {
    delay = runner::SpreadRetryAfter(absl::Milliseconds(ms), random_);
  }
  shared_.timers->After(delay, std::move(again));
}

void LoadDevice::Enroll() {
  auto call = std::make_shared<Call<v1::EnrollRequest, v1::EnrollResponse>>();
  *call->request.mutable_facts() = facts_;
  Authorize(&call->context, shared_.enrollment_secret, kUnaryTimeout);
  stub_->async()->Enroll(&call->context, &call->request, &call->response,
                         [this, call](grpc::Status status) {
                           if (!status.ok()) {
                             RetryLater(status, call->context,
                                        [this] { Enroll(); });
                             return;
                           }
                           backoff_.Reset();
                           token_ = call->response.device_token();
                           shared_.counters->enrolled++;
                           if (enrolled_) std::exchange(enrolled_, nullptr)();
                           Poll();
                         });
}

void LoadDevice::Poll() {
  auto call =
      std::make_shared<Call<v1::PollTasksRequest, v1::PollTasksResponse>>();
  *call->request.mutable_facts() = facts_;
  call->request.mutable_max_wait()->set_seconds(
      absl::ToInt64Seconds(shared_.poll_wait));
  Authorize(&call->context, token_, shared_.poll_wait + kPollMargin);
  shared_.counters->polls++;
  stub_->async()->PollTasks(
      &call->context, &call->request, &call->response,
      [this, call](grpc::Status status) {
        if (!status.ok()) {
          RetryLater(status, call->context, [this] { Poll(); });
          return;
        }
        backoff_.Reset();
        if (call->response.tasks_size() == 0 ||
            call->response.tasks(0).plan().steps_size() == 0) {
          Poll();
          return;
        }
        // One task at a time, as the runner runs them.
        task_ = std::move(*call->response.mutable_tasks(0));
        Report(0, v1::STEP_STATE_RUNNING);
      });
}

void LoadDevice::Report(uint32_t index, v1::StepState state) {
  auto call =
      std::make_shared<Call<v1::ReportStepRequest, v1::ReportStepResponse>>();
  v1::ReportStepRequest& r = call->request;
  r.set_task_id(task_.task_id());
  r.set_attempt(task_.attempt());
  r.set_lease_id(task_.lease_id());
  r.set_step_index(index);
  r.set_state(state);
  *r.mutable_started_at() = Now();
  const bool running = state == v1::STEP_STATE_RUNNING;
  const bool ends_task =
      state == v1::STEP_STATE_SUCCEEDED &&
      index + 1 == static_cast<uint32_t>(task_.plan().steps_size());
  if (!running) *r.mutable_finished_at() = r.started_at();
  if (state == v1::STEP_STATE_SUCCEEDED) r.set_exit_code(0);
  if (state == v1::STEP_STATE_SKIPPED) {
    r.set_message("not run: the job was cancelled");
  }
  if (ends_task) {
    r.set_task_state(v1::TASK_STATE_SUCCEEDED);
    // What an onboarded server reports.
    facts_.set_sensor_installed(true);
    facts_.set_sense_state(v1::SERVICE_STATE_RUNNING);
    facts_.set_onboarding_state(1);
    *r.mutable_facts() = facts_;
  }
  Authorize(&call->context, token_, kUnaryTimeout);
  shared_.counters->reports++;
  stub_->async()->ReportStep(
      &call->context, &call->request, &call->response,
      [this, call, index, state, running, ends_task](grpc::Status status) {
        if (!status.ok()) {
          // The lease went to another attempt (or the job ended): back to
          // polling, as the runner does; transient errors: the same report.
          if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
              status.error_code() == grpc::StatusCode::NOT_FOUND ||
              status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
            shared_.counters->errors[status.error_code()]++;
            Poll();
            return;
          }
          RetryLater(status, call->context,
                     [this, index, state] { Report(index, state); });
          return;
        }
        backoff_.Reset();
        if (ends_task) shared_.counters->tasks_done++;
        if (running && call->response.cancel()) {
          // Cancelled before the step ran: report it not run, which ends
          // the task (CANCELLED), as the runner does.
          Report(index, v1::STEP_STATE_SKIPPED);
        } else if (running) {
          Report(index, v1::STEP_STATE_SUCCEEDED);
        } else if (ends_task || state == v1::STEP_STATE_SKIPPED ||
                   call->response.cancel()) {
          Poll();
        } else {
          Report(index + 1, v1::STEP_STATE_RUNNING);
        }
      });
}

}  // namespace mdefleet::bench

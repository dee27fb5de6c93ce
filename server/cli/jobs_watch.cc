#include "server/cli/jobs_watch.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "server/cli/duration.h"
#include "server/cli/format.h"
#include "server/cli/progress.h"
#include "server/cli/rollout_format.h"

namespace mdefleet::cli {
namespace {

// Reads the WatchJob stream on its own thread so the display can print on
// a timer even when no update arrives.
class JobStream {
 public:
  JobStream(const Connection& connection, const std::string& job_id)
      : connection_(connection), context_(connection.NewContext(false)) {
    request_.set_job_id(job_id);
    thread_ = std::thread([this] { Run(); });
  }
  ~JobStream() {
    context_->TryCancel();
    if (thread_.joinable()) thread_.join();
  }
  JobStream(const JobStream&) = delete;
  JobStream& operator=(const JobStream&) = delete;

  // Waits until a job update arrives, the stream ends or `timeout` passes.
  // Returns the oldest update not yet returned, in arrival order.
  std::optional<v1::Job> Next(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                 [this] { return !pending_.empty() || done_; });
    if (pending_.empty()) return std::nullopt;
    v1::Job job = std::move(pending_.front());
    pending_.pop_front();
    return job;
  }

  // True once the stream ended and every update was returned.
  bool done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_ && pending_.empty();
  }
  [[nodiscard]] absl::Status status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  void Run() {
    auto reader = connection_.admin().WatchJob(context_.get(), request_);
    v1::Job job;
    while (reader->Read(&job)) {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.push_back(job);
      cv_.notify_all();
    }
    grpc::Status status = reader->Finish();
    std::lock_guard<std::mutex> lock(mu_);
    status_ = connection_.Check(status);
    done_ = true;
    cv_.notify_all();
  }

  const Connection& connection_;
  std::unique_ptr<grpc::ClientContext> context_;
  v1::WatchJobRequest request_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::Job> pending_;
  bool done_ = false;
  absl::Status status_;
  std::thread thread_;  // last: started after everything it uses
};

constexpr char kClearLine[] = "\r\033[K";

}  // namespace

absl::StatusOr<v1::Job> FollowJob(const Connection& connection,
                                  const std::string& job_id,
                                  const WatchDisplay& display,
                                  std::ostream& out, const Clock& clock) {
  JobStream stream(connection, job_id);
  FailureTracker failures;
  RolloutTracker rollout;
  std::optional<v1::Job> last;
  bool printed_since_change = true;
  const absl::Time start = clock.Now();
  // The first update prints at once.
  absl::Time last_print = start - display.interval;
  const absl::Duration tick =
      display.redraw ? absl::Seconds(1) : absl::Milliseconds(500);

  auto print_line = [&](const v1::Job& job) {
    if (display.redraw) {
      out << kClearLine << RenderProgressLine(job, display.columns)
          << std::flush;
    } else {
      out << "[" << FormatShortDuration(clock.Now() - start) << "] "
          << RenderProgressLine(job, 0) << "\n"
          << std::flush;
    }
    last_print = clock.Now();
    printed_since_change = true;
  };

  while (true) {
    std::optional<v1::Job> update = stream.Next(tick);
    if (update.has_value()) {
      last = std::move(update);
      printed_since_change = false;
      if (display.enabled) {
        std::vector<std::string> fresh = failures.NewFailures(*last);
        for (std::string& line : rollout.Changes(*last)) {
          fresh.push_back(std::move(line));
        }
        if (!fresh.empty() && display.redraw) out << kClearLine;
        for (const std::string& line : fresh) out << Inert(line) << "\n";
        if (display.redraw || !fresh.empty()) print_line(*last);
      }
    }
    const bool done = stream.done();
    if (display.enabled && last.has_value() && !display.redraw) {
      const absl::Duration since = clock.Now() - last_print;
      const bool final_state = done || IsFinal(last->state());
      if ((!printed_since_change &&
           (since >= display.interval || final_state)) ||
          since >= display.heartbeat) {
        print_line(*last);
      }
    }
    if (done) break;
  }
  if (display.enabled && display.redraw && last.has_value()) out << "\n";
  out.flush();
  absl::Status status = stream.status();
  if (!status.ok()) return status;
  // No update at all (e.g. the job was already final): the caller asks
  // GetJob for the state.
  return last.value_or(v1::Job());
}

void PrintJobOutcome(const v1::Job& job, std::ostream& out) {
  out << "job " << Inert(job.id()) << " " << Inert(JobStateWithReason(job))
      << "\n";
  out << "tasks: " << job.counts().total() << " total, "
      << RenderCounts(job.counts()) << "\n";
  const std::string summary = RenderStepSummary(job);
  if (!summary.empty()) out << "\n" << summary;
  const std::string failing = RenderFailingSteps(job);
  if (!failing.empty()) out << "\nfailing steps:\n" << failing;
}

absl::Status WatchJobAndReport(CommandEnv& env, const std::string& job_id) {
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;

  WatchDisplay display;
  display.enabled = !env.json();
  display.redraw = env.terminal().is_tty;
  display.columns = env.terminal().columns;
  auto followed = FollowJob(conn, job_id, display, env.out(), env.clock());
  if (!followed.ok()) return followed.status();
  if (display.enabled && followed->id().empty()) {
    env.out() << "(no progress updates from the server)\n";
  }

  // The stream carries counts; GetJob adds the per-step summary.
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::Job job;
  auto context = conn.NewContext();
  absl::Status status =
      conn.Check(conn.admin().GetJob(context.get(), request, &job));
  if (!status.ok()) return status;

  if (env.json()) {
    env.PrintJson(job);
  } else {
    env.out() << "\n";
    PrintJobOutcome(job, env.out());
    env.out().flush();
  }
  if (job.state() == v1::JOB_STATE_SUCCEEDED) return absl::OkStatus();
  if (!IsFinal(job.state())) {
    return absl::UnavailableError(
        absl::StrCat("the watch ended while job ", job_id, " is still ",
                     JobStateName(job.state()),
                     "; run `mdefleetctl jobs watch ", job_id, "` again"));
  }
  std::string message =
      absl::StrCat("job ", job_id, " ended ", JobStateName(job.state()));
  if (!job.state_reason().empty()) {
    absl::StrAppend(&message, ": ", job.state_reason());
  }
  return absl::Status(absl::StatusCode::kAborted, message);
}

}  // namespace mdefleet::cli

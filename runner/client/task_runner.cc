#include "runner/client/task_runner.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/client_analyzer.h"
#include "common/sha256.h"
#include "runner/client/backoff.h"
#include "runner/client/lease_keeper.h"
#include "runner/client/log.h"
#include "runner/client/reboot_resume.h"
#include "runner/client/task_state.h"
#include "runner/executor/action_policy.h"
#include "runner/executor/evidence.h"
#include "runner/executor/step_executor.h"
#include "runner/journal/journal.h"

namespace mdefleet::runner {
namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  ts.set_seconds(nanos / 1000000000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return ts;
}

enum class Sent { kAcked, kCancel, kLeaseLost, kRefused, kInterrupted };

bool IsTransient(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kAborted;
}

// Sends one report, retrying transient errors within the retry budget.
Sent Send(StepReporter& reporter, const v1::ReportStepRequest& request,
          const TaskRunnerOptions& opts, std::string* why) {
  Backoff backoff(opts.report_retry_initial, absl::Seconds(30),
                  request.step_index() * 7919 + request.state());
  const absl::Time deadline = opts.clock->Now() + opts.report_retry_budget;
  for (;;) {
    auto response = reporter.ReportStep(request);
    if (response.ok()) {
      if (!response->cancel()) return Sent::kAcked;
      *why = response->cancel_reason();
      return Sent::kCancel;
    }
    *why = std::string(response.status().message());
    if (absl::IsFailedPrecondition(response.status())) return Sent::kLeaseLost;
    if (!IsTransient(response.status().code())) {
      *why = response.status().ToString();
      return Sent::kRefused;
    }
    const absl::Time now = opts.clock->Now();
    if (now >= deadline) return Sent::kInterrupted;
    const absl::Duration wait = std::min(backoff.Next(), deadline - now);
    if (opts.stop != nullptr) {
      if (opts.stop->WaitForNotificationWithTimeout(wait)) {
        return Sent::kInterrupted;
      }
    } else {
      absl::SleepFor(wait);
    }
  }
}

class Run {
 public:
  Run(const v1::LeasedTask& task, Host& host, ArtifactFetcher& fetcher,
      StepReporter& reporter, const TaskRunnerOptions& opts)
      : task_(task),
        host_(host),
        fetcher_(fetcher),
        reporter_(reporter),
        opts_(opts),
        heartbeat_interval_(
            opts.heartbeat_interval > absl::ZeroDuration()
                ? opts.heartbeat_interval
                : HeartbeatInterval(
                      absl::Seconds(task.lease_duration().seconds()) +
                      absl::Nanoseconds(task.lease_duration().nanos()))) {}

  TaskOutcome Go();

 private:
  // A step run now (not replayed from the journal): its result, or how the
  // run ended before there was one (cancelled, stopped, rebooting).
  struct FreshStep {
    std::optional<TaskOutcome> end;
    StepResult result;
    // Started before a restart and not run again (not rerun_safe).
    bool interrupted = false;
  };

  // The journal and the work directory; an outcome when the task cannot run.
  std::optional<TaskOutcome> Open();
  FreshStep RunStep(uint32_t index, const v1::PlannedStep& step,
                    const std::optional<JournalEntry>& entry,
                    StepExecutor& executor, RebootResume& reboots);
  v1::ReportStepRequest FinalReport(uint32_t index, const FreshStep& run,
                                    v1::TaskState task_state) const;
  // Sends a step's final report; an outcome when the run ends with it.
  std::optional<TaskOutcome> Deliver(uint32_t index,
                                     const v1::PlannedStep& step,
                                     v1::ReportStepRequest report);

  TaskOutcome End(TaskEnd end, std::string summary, bool cleanup) {
    if (cleanup) {
      if (journal_) journal_->Remove().IgnoreError();
      if (!work_dir_.empty()) host_.DeletePath(work_dir_).IgnoreError();
    }
    TaskOutcome out;
    out.end = end;
    out.summary = std::move(summary);
    return out;
  }
  // Maps a failed send to the outcome.
  TaskOutcome Stopped(Sent sent, const std::string& why, uint32_t index) {
    switch (sent) {
      case Sent::kCancel:
        return End(TaskEnd::kCancelled,
                   absl::StrCat("cancelled by the server",
                                why.empty() ? "" : absl::StrCat(" (", why, ")"),
                                "; stopped at step ", index),
                   true);
      case Sent::kLeaseLost:
        return End(TaskEnd::kLeaseLost,
                   absl::StrCat("lease lost (", why, "); task abandoned"),
                   true);
      case Sent::kRefused:
        return End(TaskEnd::kRejected,
                   absl::StrCat("report refused (", why, "); task abandoned"),
                   true);
      case Sent::kInterrupted:
      case Sent::kAcked:
        break;
    }
    return End(TaskEnd::kInterrupted,
               absl::StrCat("interrupted at step ", index,
                            why.empty() ? "" : absl::StrCat(" (", why, ")"),
                            "; will resume when the task is delivered again"),
               false);
  }
  // The job was cancelled before step `index` ran: it is reported SKIPPED
  // (not run) so the server ends the task now, then the task stops.
  TaskOutcome NotRunCancelled(uint32_t index, const std::string& reason) {
    v1::ReportStepRequest skipped = Base(index);
    skipped.set_state(v1::STEP_STATE_SKIPPED);
    skipped.set_message(
        absl::StrCat("not run: the job was cancelled",
                     reason.empty() ? "" : absl::StrCat(" (", reason, ")")));
    const google::protobuf::Timestamp now = ToProto(opts_.clock->Now());
    *skipped.mutable_started_at() = now;
    *skipped.mutable_finished_at() = now;
    if (absl::Status s = journal_->MarkExecuted(index, skipped); !s.ok()) {
      return Stopped(Sent::kInterrupted, absl::StrCat("journal: ", s.message()),
                     index);
    }
    std::string why;
    const Sent sent = Send(reporter_, skipped, opts_, &why);
    if (sent != Sent::kAcked && sent != Sent::kCancel) {
      return Stopped(sent, why, index);
    }
    return Stopped(Sent::kCancel, reason, index);
  }
  // A RUNNING report of step `index` with a progress message (waiting for a
  // maintenance window, rebooting); remembers how it went for Rebooted().
  ProgressAnswer ReportProgress(uint32_t index, absl::string_view message) {
    v1::ReportStepRequest r = Base(index);
    r.set_state(v1::STEP_STATE_RUNNING);
    r.set_message(std::string(message));
    progress_sent_ = Send(reporter_, r, opts_, &progress_why_);
    if (progress_sent_ == Sent::kAcked) return ProgressAnswer::kOk;
    if (progress_sent_ == Sent::kCancel) return ProgressAnswer::kCancel;
    return ProgressAnswer::kStop;
  }
  // The outcome when a restart-related step ends the run (rebooting,
  // cancelled, stopped); nullopt to go on with the step.
  std::optional<TaskOutcome> Rebooted(const RebootStep& r, uint32_t index) {
    switch (r.next) {
      case RebootStep::Next::kRebooting: {
        TaskOutcome out = End(TaskEnd::kRebooting, r.summary, false);
        out.reboot_delay = r.delay;
        return out;
      }
      case RebootStep::Next::kCancelled:
        return NotRunCancelled(index, progress_why_);
      case RebootStep::Next::kStopped:
        return progress_sent_ != Sent::kAcked
                   ? Stopped(progress_sent_, progress_why_, index)
                   : Stopped(Sent::kInterrupted, r.summary, index);
      case RebootStep::Next::kNormal:
      case RebootStep::Next::kRunAgain:
      case RebootStep::Next::kReport:
        break;
    }
    return std::nullopt;
  }
  // Best effort, a few tries on transient errors: the final report matters
  // more than the logs, and the journal keeps neither.
  void UploadEvidence(uint32_t index, const std::vector<EvidenceItem>& items) {
    absl::StatusOr<v1::UploadEvidenceRequest> request = PackEvidence(items);
    if (!request.ok()) {
      LogLine(
          absl::StrCat("task ", task_.task_id(), " step ", index,
                       ": evidence not packed: ", request.status().message()));
      return;
    }
    request->set_task_id(task_.task_id());
    request->set_attempt(task_.attempt());
    request->set_lease_id(task_.lease_id());
    request->set_step_index(index);
    Backoff backoff(opts_.report_retry_initial, absl::Seconds(5), index);
    absl::Status last;
    for (int tries = 0; tries < 3; ++tries) {
      last = reporter_.UploadEvidence(*request).status();
      if (last.ok() || !IsTransient(last.code())) break;
      absl::SleepFor(backoff.Next());
    }
    if (!last.ok()) {
      LogLine(absl::StrCat("task ", task_.task_id(), " step ", index,
                           ": evidence not uploaded: ", last.message()));
    }
  }
  // upload_diagnostics_bundle: the bundle in chunks
  // (client_analyzer::kMaxChunkBytes) with its SHA-256 on the last one; a
  // transient error is retried from the offset the server holds. The step
  // fails, saying why, when the server does not keep it.
  void SendBundle(uint32_t index, StepResult* result) {
    const StepResult::Bundle bundle = *std::move(result->bundle);
    result->bundle.reset();
    Sha256 hash;
    hash.Update(bundle.content);
    const std::string sha256 = hash.FinishHex();
    v1::UploadDiagnosticsChunkRequest request;
    request.set_task_id(task_.task_id());
    request.set_attempt(task_.attempt());
    request.set_lease_id(task_.lease_id());
    request.set_step_index(index);
    request.set_total_size(bundle.content.size());
    Backoff backoff(opts_.report_retry_initial, absl::Seconds(5), index);
    uint64_t offset = 0;
    int transient = 0;
    absl::Status last;
    while (true) {
      const size_t n = std::min(client_analyzer::kMaxChunkBytes,
                                bundle.content.size() - offset);
      request.set_offset(offset);
      request.set_data(bundle.content.substr(offset, n));
      request.set_sha256(offset + n == bundle.content.size() ? sha256 : "");
      absl::StatusOr<v1::UploadDiagnosticsChunkResponse> answer =
          reporter_.UploadDiagnosticsChunk(request);
      if (answer.ok()) {
        if (answer->complete()) break;
        offset = answer->received();
        if (offset >= bundle.content.size()) {
          last = absl::InternalError(
              "the server holds the whole bundle but "
              "did not keep it");
          break;
        }
        continue;
      }
      last = answer.status();
      if (!IsTransient(last.code()) || ++transient > 5) break;
      // The same chunk again: one the server already holds is answered
      // with where it is.
      absl::SleepFor(backoff.Next());
    }
    if (last.ok()) {
      result->message =
          absl::StrCat("sent ", bundle.path, " (", bundle.content.size(),
                       " bytes, SHA-256 ", sha256,
                       "); the server keeps it for the "
                       "evidence retention period");
      return;
    }
    result->state = v1::STEP_STATE_FAILED;
    result->message =
        absl::StrCat("the server did not keep ", bundle.path, " (",
                     bundle.content.size(), " bytes): ", last.message());
  }
  v1::ReportStepRequest Base(uint32_t index) const {
    v1::ReportStepRequest r;
    r.set_task_id(task_.task_id());
    r.set_attempt(task_.attempt());
    r.set_lease_id(task_.lease_id());
    r.set_step_index(index);
    return r;
  }

  const v1::LeasedTask& task_;
  Host& host_;
  ArtifactFetcher& fetcher_;
  StepReporter& reporter_;
  const TaskRunnerOptions& opts_;
  std::optional<TaskJournal> journal_;
  std::string work_dir_;
  std::optional<std::string> setup_error_;
  absl::Duration heartbeat_interval_;
  Sent progress_sent_ = Sent::kAcked;
  std::string progress_why_;
};

std::optional<TaskOutcome> Run::Open() {
  auto work_dir = TaskWorkDirectory(host_.StateDirectory(), task_.task_id());
  if (!work_dir.ok()) {
    return End(TaskEnd::kRejected, std::string(work_dir.status().message()),
               false);
  }
  auto journal = TaskJournal::Open(host_, task_.task_id(), task_.attempt());
  if (!journal.ok()) {
    return End(
        TaskEnd::kRejected,
        absl::StrCat("cannot open the journal: ", journal.status().message()),
        false);
  }
  journal_.emplace(*std::move(journal));
  work_dir_ = *work_dir;
  // Every step run fails with this, reported (the task does not vanish).
  if (absl::Status s = host_.CreateDirectories(work_dir_); !s.ok()) {
    setup_error_ = absl::StrCat("cannot create the work directory ", work_dir_,
                                ": ", s.message());
  }
  if (task_.plan().steps_size() == 0) {
    return End(TaskEnd::kRejected, "the plan has no steps", true);
  }
  return std::nullopt;
}

Run::FreshStep Run::RunStep(uint32_t index, const v1::PlannedStep& step,
                            const std::optional<JournalEntry>& entry,
                            StepExecutor& executor, RebootResume& reboots) {
  FreshStep out;
  if (opts_.stop != nullptr && opts_.stop->HasBeenNotified()) {
    out.end = Stopped(Sent::kInterrupted, "runner stopping", index);
    return out;
  }
  const ProgressReporter progress = [&](absl::string_view message) {
    return ReportProgress(index, message);
  };
  RebootStep resumed;
  {
    // Waiting for a restart that has not happened yet keeps the lease.
    LeaseKeeper keeper(reporter_, task_, index, heartbeat_interval_);
    resumed = reboots.Resume(index, step, progress);
  }
  if ((out.end = Rebooted(resumed, index))) return out;
  if (resumed.next == RebootStep::Next::kReport) {
    out.result = resumed.result;
    return out;
  }
  if (entry && !step.rerun_safe() &&
      resumed.next != RebootStep::Next::kRunAgain) {
    // Started before a restart and may have done part of its work.
    out.result.state = v1::STEP_STATE_FAILED;
    out.result.message = std::string(kNotRerunMessage);
    // When it was started, before the restart.
    out.result.started_at =
        absl::FromUnixSeconds(entry->report.started_at().seconds()) +
        absl::Nanoseconds(entry->report.started_at().nanos());
    out.result.finished_at = opts_.clock->Now();
    out.interrupted = true;
    return out;
  }
  // RUNNING is acknowledged before the journal says "started", so a step is
  // only ever marked as possibly run once the server knows.
  v1::ReportStepRequest running = Base(index);
  running.set_state(v1::STEP_STATE_RUNNING);
  *running.mutable_started_at() = ToProto(opts_.clock->Now());
  std::string why;
  const Sent sent = Send(reporter_, running, opts_, &why);
  if (sent == Sent::kCancel) {
    out.end = NotRunCancelled(index, why);
    return out;
  }
  if (sent != Sent::kAcked) {
    out.end = Stopped(sent, why, index);
    return out;
  }
  if (absl::Status s = journal_->MarkStarted(index, running); !s.ok()) {
    out.end = Stopped(Sent::kInterrupted,
                      absl::StrCat("journal: ", s.message()), index);
    return out;
  }
  if (setup_error_) {
    out.result.state = v1::STEP_STATE_FAILED;
    out.result.message = *setup_error_;
    out.result.started_at = out.result.finished_at = opts_.clock->Now();
    return out;
  }
  RebootStep reboot;
  {
    // Heartbeats cover the step and a maintenance-window wait.
    LeaseKeeper keeper(reporter_, task_, index, heartbeat_interval_);
    if (!RestartsByItself(step)) out.result = executor.Execute(step);
    if (out.result.bundle) SendBundle(index, &out.result);
    // Restarts the step asks for (may wait for a maintenance window).
    reboot = reboots.AfterStep(index, step, out.result, progress);
  }
  if ((out.end = Rebooted(reboot, index))) return out;
  if (reboot.next == RebootStep::Next::kReport) out.result = reboot.result;
  return out;
}

v1::ReportStepRequest Run::FinalReport(uint32_t index, const FreshStep& run,
                                       v1::TaskState task_state) const {
  const StepResult& result = run.result;
  v1::ReportStepRequest report = Base(index);
  report.set_state(result.state);
  if (result.exit_code) report.set_exit_code(*result.exit_code);
  report.set_message(result.message);
  report.set_output_tail(result.output_tail);
  report.set_interrupted(run.interrupted);
  *report.mutable_started_at() = ToProto(result.started_at);
  *report.mutable_finished_at() = ToProto(result.finished_at);
  report.set_task_state(task_state);
  return report;
}

std::optional<TaskOutcome> Run::Deliver(uint32_t index,
                                        const v1::PlannedStep& step,
                                        v1::ReportStepRequest report) {
  report.set_lease_id(task_.lease_id());
  const bool ending = report.task_state() != v1::TASK_STATE_UNSPECIFIED;
  if (ending && opts_.collect_facts) {
    auto facts = opts_.collect_facts();
    if (facts.ok()) *report.mutable_facts() = *std::move(facts);
  }
  std::string why;
  const Sent sent = Send(reporter_, report, opts_, &why);
  // On kCancel the server recorded the report and cancelled the job.
  if (sent != Sent::kAcked) return Stopped(sent, why, index);
  if (absl::Status s = journal_->MarkAcknowledged(index); !s.ok()) {
    return Stopped(Sent::kInterrupted, absl::StrCat("journal: ", s.message()),
                   index);
  }
  if (!ending) return std::nullopt;
  TaskOutcome out =
      End(TaskEnd::kCompleted,
          absl::StrCat(v1::TaskState_Name(report.task_state()), " at step ",
                       step.name(), ": ", report.message()),
          true);
  out.task_state = report.task_state();
  return out;
}

TaskOutcome Run::Go() {
  if (std::optional<TaskOutcome> refused = Open()) return *std::move(refused);
  StepExecutor executor(host_, fetcher_, *opts_.clock, work_dir_);
  RebootResume reboots(host_, *journal_, task_, opts_);
  const int n = task_.plan().steps_size();
  StepTally tally;
  for (int i = 0; i < n; ++i) {
    const uint32_t index = static_cast<uint32_t>(i);
    const v1::PlannedStep& step = task_.plan().steps(i);
    const std::optional<JournalEntry> entry = journal_->Get(index);
    if (entry && entry->phase == StepPhase::kAcknowledged) {
      // Delivered before a restart: counted, not sent again.
      tally.Count(entry->report.state());
      if (entry->report.task_state() != v1::TASK_STATE_UNSPECIFIED) {
        TaskOutcome out =
            End(TaskEnd::kCompleted, "already reported as ended", true);
        out.task_state = entry->report.task_state();
        return out;
      }
      continue;
    }
    v1::ReportStepRequest report;
    if (entry && entry->phase == StepPhase::kExecuted) {
      // Ran before the restart but the server never acknowledged it: send
      // the recorded result again, never run it again.
      report = entry->report;
      tally.Count(report.state());
    } else {
      FreshStep run = RunStep(index, step, entry, executor, reboots);
      if (run.end) return *std::move(run.end);
      tally.Count(run.result.state);
      report = FinalReport(
          index, run,
          TaskStateAfter(tally,
                         {.state = run.result.state,
                          .skips_task = run.result.skips_task,
                          .continue_on_failure = step.continue_on_failure(),
                          .last_step = i == n - 1}));
      if (absl::Status s = journal_->MarkExecuted(index, report); !s.ok()) {
        return Stopped(Sent::kInterrupted,
                       absl::StrCat("journal: ", s.message()), index);
      }
      // Before the final report, while the lease is certainly held; the
      // work directory (and its logs) goes when the task ends.
      if (!run.result.evidence.empty()) {
        UploadEvidence(index, run.result.evidence);
      }
    }
    if (std::optional<TaskOutcome> out = Deliver(index, step, report)) {
      return *std::move(out);
    }
  }
  return End(TaskEnd::kRejected, "plan ended without an ending step", true);
}

}  // namespace

TaskOutcome RunTask(const v1::LeasedTask& task, Host& host,
                    ArtifactFetcher& fetcher, StepReporter& reporter,
                    const TaskRunnerOptions& options) {
  return Run(task, host, fetcher, reporter, options).Go();
}

}  // namespace mdefleet::runner

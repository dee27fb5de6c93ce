#include "server/cli/jobs_cmd.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/plan/plan.h"
#include "server/cli/errors.h"
#include "server/cli/format.h"
#include "server/cli/jobs_bundle.h"
#include "server/cli/jobs_logs.h"
#include "server/cli/jobs_watch.h"
#include "server/cli/progress.h"
#include "server/cli/rollout_format.h"
#include "server/cli/table.h"
#include "server/cli/target_parser.h"

namespace mdefleet::cli {
namespace {

constexpr uint32_t kTaskPageSize = 200;

// The task's own message, else the message of its failing step.
std::string TaskMessage(const v1::Task& task) {
  if (!task.message().empty()) return task.message();
  for (const v1::StepResult& step : task.steps()) {
    if (step.state() == v1::STEP_STATE_FAILED ||
        (task.state() == v1::TASK_STATE_SKIPPED &&
         step.state() == v1::STEP_STATE_SKIPPED && !step.message().empty())) {
      return absl::StrCat(step.name(), ": ", step.message());
    }
  }
  return "";
}

}  // namespace

std::string RenderJob(const v1::Job& job) {
  Table header({"FIELD", "VALUE"});
  header.AddRow({"id", job.id()});
  header.AddRow({"kind", job.spec().kind()});
  header.AddRow({"state", JobStateWithReason(job)});
  header.AddRow({"target", DescribeTarget(job.spec().target())});
  if (job.spec().policy().max_in_flight() > 0) {
    header.AddRow(
        {"max in flight", absl::StrCat(job.spec().policy().max_in_flight())});
  }
  for (const auto& [field, value] : RolloutRows(job)) {
    header.AddRow({field, value});
  }
  header.AddRow({"created", absl::StrCat(FormatTimestamp(job.created_at()),
                                         job.created_by().empty() ? "" : " by ",
                                         job.created_by())});
  header.AddRow({"finished", FormatTimestamp(job.finished_at())});
  header.AddRow({"progress", RenderProgressLine(job, 0)});
  header.AddRow({"tasks", absl::StrCat(job.counts().total(), " total: ",
                                       RenderCounts(job.counts()))});
  std::string out = header.Render();
  const std::string summary = RenderStepSummary(job);
  if (!summary.empty()) absl::StrAppend(&out, "\n", summary);
  const std::string failing = RenderFailingSteps(job);
  if (!failing.empty()) absl::StrAppend(&out, "\nfailing steps:\n", failing);
  return out;
}

absl::Status RunJobsGet(CommandEnv& env, const std::string& job_id) {
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::Job job;
  auto context = conn.NewContext();
  absl::Status status =
      conn.Check(conn.admin().GetJob(context.get(), request, &job));
  if (!status.ok()) return status;
  if (env.json()) {
    env.PrintJson(job);
    return absl::OkStatus();
  }
  env.out() << RenderJob(job);
  // collect_diagnostics: each device's MDEClientAnalyzer errors and
  // warnings (the tasks' JSON carries them as Task.diagnostics).
  if (job.spec().kind() == "collect_diagnostics") {
    v1::ListTasksRequest tasks_request;
    tasks_request.set_job_id(job_id);
    absl::StatusOr<v1::ListTasksResponse> tasks =
        ListAllTasks(conn, std::move(tasks_request));
    if (!tasks.ok()) return tasks.status();
    const std::string diagnostics = RenderDiagnostics(*tasks);
    if (!diagnostics.empty()) env.out() << "\n" << diagnostics;
  }
  return absl::OkStatus();
}

absl::Status RunJobsList(CommandEnv& env, const std::string& state,
                         uint32_t limit) {
  v1::ListJobsRequest request;
  if (!state.empty()) {
    auto parsed = ParseJobState(state, "--state");
    if (!parsed.ok()) return parsed.status();
    request.set_state(*parsed);
  }
  request.set_limit(limit);
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  v1::ListJobsResponse response;
  auto context = conn.NewContext();
  absl::Status status =
      conn.Check(conn.admin().ListJobs(context.get(), request, &response));
  if (!status.ok()) return status;
  if (env.json()) {
    env.PrintJson(response);
    return absl::OkStatus();
  }
  Table table({"ID", "KIND", "STATE", "DONE", "SUCCEEDED", "FAILED", "SKIPPED",
               "CREATED", "TARGET"});
  for (size_t i = 3; i <= 6; ++i) table.SetAlign(i, Table::Align::kRight);
  for (const v1::Job& job : response.jobs()) {
    const v1::TaskCounts& c = job.counts();
    table.AddRow({job.id(), job.spec().kind(), JobStateLabel(job),
                  absl::StrCat(FinishedTasks(c), "/", c.total()),
                  absl::StrCat(c.succeeded()), absl::StrCat(c.failed()),
                  absl::StrCat(c.skipped()), FormatTimestamp(job.created_at()),
                  DescribeTarget(job.spec().target())});
  }
  env.out() << table.Render();
  return absl::OkStatus();
}

absl::StatusOr<v1::ListTasksResponse> ListAllTasks(
    const Connection& conn, v1::ListTasksRequest request) {
  request.set_page_size(kTaskPageSize);
  v1::ListTasksResponse all;
  while (true) {
    v1::ListTasksResponse page;
    auto context = conn.NewContext();
    absl::Status status =
        conn.Check(conn.admin().ListTasks(context.get(), request, &page));
    if (!status.ok()) return status;
    for (auto& task : *page.mutable_tasks()) {
      *all.add_tasks() = std::move(task);
    }
    if (page.next_page_token().empty() || page.tasks_size() == 0) break;
    request.set_page_token(page.next_page_token());
  }
  return all;
}

absl::Status RunJobsTasks(CommandEnv& env, const std::string& job_id,
                          const std::string& state) {
  v1::ListTasksRequest request;
  request.set_job_id(job_id);
  if (!state.empty()) {
    auto parsed = ParseTaskState(state, "--state");
    if (!parsed.ok()) return parsed.status();
    request.set_state(*parsed);
  }
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<v1::ListTasksResponse> listed =
      ListAllTasks(**connection, std::move(request));
  if (!listed.ok()) return listed.status();
  const v1::ListTasksResponse& all = *listed;
  if (env.json()) {
    env.PrintJson(all);
    return absl::OkStatus();
  }
  Table table({"HOSTNAME", "STATE", "MESSAGE"});
  for (const v1::Task& task : all.tasks()) {
    table.AddRow({task.hostname().empty() ? task.device_id() : task.hostname(),
                  TaskStateName(task.state()), TaskMessage(task)});
  }
  env.out() << table.Render();
  env.out() << all.tasks_size()
            << (all.tasks_size() == 1 ? " task\n" : " tasks\n");
  return absl::OkStatus();
}

absl::Status RunJobsControl(CommandEnv& env, JobControl control,
                            const std::string& job_id,
                            const std::string& reason) {
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  v1::Job job;
  auto context = conn.NewContext();
  grpc::Status rpc;
  switch (control) {
    case JobControl::kCancel: {
      v1::CancelJobRequest request;
      request.set_job_id(job_id);
      request.set_reason(reason);
      rpc = conn.admin().CancelJob(context.get(), request, &job);
      break;
    }
    case JobControl::kPause: {
      v1::PauseJobRequest request;
      request.set_job_id(job_id);
      request.set_reason(reason);
      rpc = conn.admin().PauseJob(context.get(), request, &job);
      break;
    }
    case JobControl::kResume: {
      v1::ResumeJobRequest request;
      request.set_job_id(job_id);
      request.set_reason(reason);
      rpc = conn.admin().ResumeJob(context.get(), request, &job);
      break;
    }
    case JobControl::kRetryFailed: {
      v1::RetryFailedRequest request;
      request.set_job_id(job_id);
      request.set_reason(reason);
      rpc = conn.admin().RetryFailed(context.get(), request, &job);
      break;
    }
  }
  absl::Status status = conn.Check(rpc);
  if (!status.ok()) return status;
  if (env.json()) {
    env.PrintJson(job);
  } else {
    env.out() << "job " << Inert(job.id()) << " "
              << Inert(JobStateWithReason(job)) << " ("
              << RenderCounts(job.counts()) << ")\n";
  }
  return absl::OkStatus();
}

void AddJobsCommands(CLI::App& app, Command* selected) {
  CLI::App* jobs = app.add_subcommand("jobs", "Fleet-wide jobs");
  jobs->require_subcommand(1);

  auto submit_options = std::make_shared<JobsSubmitOptions>();
  // The kinds come from the one list the server plans from.
  CLI::App* submit = jobs->add_subcommand(
      "submit",
      absl::StrCat("Submit a job: ", absl::StrJoin(KnownJobKinds(), ", ")));
  submit
      ->add_option("KIND", submit_options->kind,
                   absl::StrJoin(KnownJobKinds(), " | "))
      ->required();
  submit
      ->add_option("--target", submit_options->targets,
                   "all | id:<device-id> | host:<glob> | label:<key>=<value> "
                   "| os:<family>; repeat to combine (AND)")
      ->required()
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  submit->add_option("--onboarding-script", submit_options->onboarding_script,
                     "Onboarding script: artifact id or file to upload "
                     "(onboard, migrate_mma; connectivity_test reads only "
                     "its region)");
  submit->add_option("--offboarding-script", submit_options->offboarding_script,
                     "Offboarding script: artifact id or file to upload "
                     "(offboard; image_prep of onboarded devices)");
  submit->add_option("--install-script", submit_options->install_script,
                     "Install.ps1: artifact id or file (default: newest)");
  submit->add_option("--installer", submit_options->installer,
                     "md4ws.msi: artifact id or file (default: newest)");
  submit->add_option("--workspace-id", submit_options->workspace_id,
                     "MMA workspace GUID (migrate_mma)");
  submit->add_option("--comment", submit_options->comment,
                     "Comment kept with the Defender machine action "
                     "(api_offboard; required there)");
  submit->add_option("--url-list", submit_options->url_list,
                     "connectivity_test: URL list, artifact id or file to "
                     "upload (default: the built-in Defender URLs for the "
                     "onboarding script's region, else US, EU and UK)");
  submit->add_option("--client-analyzer", submit_options->client_analyzer,
                     "collect_diagnostics: Microsoft's MDEClientAnalyzer.zip, "
                     "artifact id or file to upload");
  AddProxyFlags(submit, &submit_options->proxy);
  PolicyFlags& policy = submit_options->policy;
  submit->add_option("--max-in-flight", policy.max_in_flight,
                     "Tasks leased or running at once (0 = no limit)");
  submit->add_option("--canary", policy.canary,
                     "Run on N devices first; go on when none failed");
  submit->add_flag("--canary-approval", policy.canary_approval,
                   "After the canaries succeeded, wait for `jobs resume`");
  submit->add_option("--wave-size", policy.wave_size,
                     "Leases per wave after the canaries: N or P% of the "
                     "targeted devices (default: no waves)");
  submit->add_option("--wave-interval", policy.wave_interval,
                     "Wait between the end of a wave and the next (e.g. 30m)");
  submit->add_option("--max-failures", policy.max_failures,
                     "Failures tolerated (N or P%); one more pauses the job");
  submit->add_option("--task-timeout", policy.task_timeout,
                     "Longest one attempt of a task may take; then it ends "
                     "timed_out (default: no limit)");
  submit->add_option("--deadline", policy.deadline,
                     "After this (duration from now, or an RFC 3339 time) "
                     "queued tasks expire");
  submit->add_option("--retries", policy.retries,
                     "Automatic retries of a task whose failure is retryable "
                     "(no connectivity, pending reboot, lost lease)");
  submit->add_option("--retry-backoff", policy.retry_backoff,
                     "Wait before the first retry, doubling (default 1m)");
  submit->add_option("--maintenance-window", policy.maintenance_windows,
                     "Device local time when steps that restart the machine "
                     "may run, e.g. \"Sat 01:00-05:00\", \"Mon-Fri "
                     "22:00-02:00\", \"daily 03:00-04:00\" (repeatable, or "
                     "comma-separated)");
  submit->add_option("--maintenance-window-scope",
                     policy.maintenance_window_scope,
                     "reboot (default): only steps that restart wait for a "
                     "window; task: tasks also start only in a window");
  submit->add_flag("--dry-run", submit_options->dry_run,
                   "Show the targeted devices and their planned steps; store "
                   "nothing");
  submit->add_flag(
      "--watch", submit_options->watch,
      "Follow the job until it ends (exit 0 only if it succeeded)");
  submit->callback([submit_options, selected] {
    *selected = [submit_options](CommandEnv& env) {
      return RunJobsSubmit(env, *submit_options);
    };
  });

  auto get_id = std::make_shared<std::string>();
  CLI::App* get = jobs->add_subcommand(
      "get", "Show a job: state, counts, per-step summary, failing steps");
  get->add_option("ID", *get_id, "Job id")->required();
  get->callback([get_id, selected] {
    *selected = [get_id](CommandEnv& env) { return RunJobsGet(env, *get_id); };
  });

  auto list_state = std::make_shared<std::string>();
  auto list_limit = std::make_shared<uint32_t>(0);
  CLI::App* list = jobs->add_subcommand("list", "List jobs, newest first");
  list->add_option("--state", *list_state,
                   "pending, running, paused, succeeded, failed, cancelled, "
                   "expired");
  list->add_option("--limit", *list_limit,
                   "At most N jobs (server default 50)");
  list->callback([list_state, list_limit, selected] {
    *selected = [list_state, list_limit](CommandEnv& env) {
      return RunJobsList(env, *list_state, *list_limit);
    };
  });

  auto tasks_id = std::make_shared<std::string>();
  auto tasks_state = std::make_shared<std::string>();
  CLI::App* tasks = jobs->add_subcommand(
      "tasks", "One row per device (-o json: every task with its steps)");
  tasks->add_option("ID", *tasks_id, "Job id")->required();
  tasks->add_option("--state", *tasks_state,
                    "queued, leased, running, succeeded, failed, skipped, "
                    "cancelled, timed_out, expired");
  tasks->callback([tasks_id, tasks_state, selected] {
    *selected = [tasks_id, tasks_state](CommandEnv& env) {
      return RunJobsTasks(env, *tasks_id, *tasks_state);
    };
  });

  AddJobsLogsCommand(*jobs, selected);

  auto watch_id = std::make_shared<std::string>();
  CLI::App* watch = jobs->add_subcommand(
      "watch",
      "Live progress until the job ends (exit 0 only if it succeeded)");
  watch->add_option("ID", *watch_id, "Job id")->required();
  watch->callback([watch_id, selected] {
    *selected = [watch_id](CommandEnv& env) {
      return WatchJobAndReport(env, *watch_id);
    };
  });

  const struct {
    const char* name;
    const char* help;
    JobControl control;
  } controls[] = {
      {"cancel",
       "Cancel a job: queued tasks end, running ones stop after their "
       "current step",
       JobControl::kCancel},
      {"pause", "Pause a job: nothing more is leased; running tasks finish",
       JobControl::kPause},
      {"resume", "Resume a paused job (also approves it after its canaries)",
       JobControl::kResume},
      {"retry-failed",
       "Queue the job's failed and timed-out tasks again as a new attempt",
       JobControl::kRetryFailed},
  };
  for (const auto& c : controls) {
    auto id = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    CLI::App* command = jobs->add_subcommand(c.name, c.help);
    command->add_option("ID", *id, "Job id")->required();
    command->add_option("--reason", *reason,
                        "Why (kept in the job's state and the audit log)");
    const JobControl control = c.control;
    command->callback([id, reason, control, selected] {
      *selected = [id, reason, control](CommandEnv& env) {
        return RunJobsControl(env, control, *id, *reason);
      };
    });
  }
}

}  // namespace mdefleet::cli

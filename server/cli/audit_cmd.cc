#include "server/cli/audit_cmd.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "server/cli/duration.h"
#include "server/cli/errors.h"
#include "server/cli/format.h"
#include "server/cli/table.h"

namespace mdefleet::cli {
namespace {

constexpr uint32_t kMaxPageSize = 1000;  // the server's limit

}  // namespace

absl::StatusOr<v1::ListAuditLogRequest> BuildListAuditLogRequest(
    const AuditListOptions& options, absl::Time now) {
  v1::ListAuditLogRequest request;
  request.set_actor(options.actor);
  // As typed in `jobs retry-failed`: the log says retry_failed.
  request.set_action(absl::StrReplaceAll(
      absl::StripAsciiWhitespace(options.action), {{"-", "_"}}));
  request.set_target(options.job);
  if (!options.outcome.empty()) {
    if (options.outcome != "ok" && options.outcome != "refused" &&
        options.outcome != "error") {
      return UsageError(absl::StrCat("--outcome \"", options.outcome,
                                     "\": expected ok, refused or error"));
    }
    request.set_outcome(options.outcome);
  }
  std::optional<absl::Time> since, until;
  if (!options.since.empty()) {
    auto at = ParseCliTimeOrAgo(options.since, "--since", now);
    if (!at.ok()) return at.status();
    since = *at;
    *request.mutable_since() = ToProtoTimestamp(*at);
  }
  if (!options.until.empty()) {
    auto at = ParseCliTimeOrAgo(options.until, "--until", now);
    if (!at.ok()) return at.status();
    until = *at;
    *request.mutable_until() = ToProtoTimestamp(*at);
  }
  if (since.has_value() && until.has_value() && *since >= *until) {
    return UsageError(absl::StrCat("--since \"", options.since,
                                   "\" must be before --until \"",
                                   options.until, "\""));
  }
  request.set_page_size(
      options.limit > 0 ? std::min(options.limit, kMaxPageSize) : kMaxPageSize);
  return request;
}

absl::Status RunAuditList(CommandEnv& env, const AuditListOptions& options) {
  auto request = BuildListAuditLogRequest(options, env.clock().Now());
  if (!request.ok()) return request.status();
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;

  v1::ListAuditLogResponse all;
  while (true) {
    if (options.limit > 0) {
      const uint32_t left =
          options.limit - static_cast<uint32_t>(all.entries_size());
      request->set_page_size(std::min(left, kMaxPageSize));
    }
    v1::ListAuditLogResponse page;
    auto context = conn.NewContext();
    absl::Status status =
        conn.Check(conn.admin().ListAuditLog(context.get(), *request, &page));
    if (!status.ok()) return status;
    for (auto& entry : *page.mutable_entries()) {
      *all.add_entries() = std::move(entry);
    }
    if (page.next_page_token().empty() || page.entries_size() == 0) break;
    if (options.limit > 0 &&
        static_cast<uint32_t>(all.entries_size()) >= options.limit) {
      all.set_next_page_token(page.next_page_token());
      break;
    }
    request->set_page_token(page.next_page_token());
  }

  if (env.json()) {
    env.PrintJson(all);
    return absl::OkStatus();
  }
  Table table(
      {"TIME", "ACTOR", "ROLE", "ACTION", "TARGET", "OUTCOME", "DETAIL"});
  for (const v1::AuditEntry& e : all.entries()) {
    table.AddRow({FormatTimestamp(e.time()), e.actor(),
                  e.role().empty() ? "-" : e.role(), e.action(), e.target(),
                  e.outcome(), e.detail()});
  }
  env.out() << table.Render();
  const int n = all.entries_size();
  env.out() << n << (n == 1 ? " entry" : " entries");
  if (!all.next_page_token().empty()) {
    env.out() << ", newest first; older ones left out (raise --limit, 0 for "
                 "all)";
  }
  env.out() << "\n";
  return absl::OkStatus();
}

void AddAuditCommands(CLI::App& app, Command* selected) {
  CLI::App* audit = app.add_subcommand(
      "audit",
      "The audit log: who (token and role) did what to which target, when, "
      "and whether it was done");
  audit->require_subcommand(1);

  auto options = std::make_shared<AuditListOptions>();
  CLI::App* list = audit->add_subcommand(
      "list", "List audit entries, newest first (refusals included)");
  list->add_option("--actor", options->actor,
                   "Only this credential's entries (e.g. admin)");
  list->add_option("--action", options->action,
                   "An audited action (submit_job, pause_job, resume_job, "
                   "retry_failed, cancel_job, upload_artifact, create_token, "
                   "revoke_token, rotate_token, create_enrollment_secret, "
                   "expire_enrollment_secret, revoke_enrollment_secret, "
                   "revoke_device) or a verb (pause, revoke)");
  list->add_option("--job,--target", options->job,
                   "Only entries about this target (a job id, device id, "
                   "token or secret name)");
  list->add_option("--outcome", options->outcome, "ok, refused or error");
  list->add_option("--since", options->since,
                   "At or after: a duration ago (24h, 7d) or an RFC 3339 time");
  list->add_option("--until", options->until,
                   "Before: a duration ago (1h) or an RFC 3339 time");
  list->add_option("--limit", options->limit, "At most N entries (0: all)")
      ->capture_default_str();
  list->callback([options, selected] {
    *selected = [options](CommandEnv& env) {
      return RunAuditList(env, *options);
    };
  });
}

}  // namespace mdefleet::cli

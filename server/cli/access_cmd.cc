#include "server/cli/access_cmd.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/labels.h"
#include "common/roles.h"
#include "server/cli/duration.h"
#include "server/cli/errors.h"
#include "server/cli/format.h"
#include "server/cli/table.h"

namespace mdefleet::cli {
namespace {

std::string TimeOrDash(bool set, const google::protobuf::Timestamp& ts) {
  return set ? FormatTimestamp(ts) : "-";
}

// Sets `request`'s expires_in from --expires-in; leaves it unset (never
// expires) when the flag was not given.
template <typename Request>
[[nodiscard]] absl::Status SetExpiry(const std::string& text,
                                     Request& request) {
  if (text.empty()) return absl::OkStatus();
  auto d = ParseCliDuration(text, "--expires-in");
  if (!d.ok()) return d.status();
  if (*d <= absl::ZeroDuration()) {
    return UsageError(
        "--expires-in: must be positive (leave it out for a "
        "credential that never expires)");
  }
  *request.mutable_expires_in() = ToProtoDuration(*d);
  return absl::OkStatus();
}

std::string Labels(const v1::EnrollmentSecret& secret) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : secret.labels()) parts.push_back(k + "=" + v);
  std::sort(parts.begin(), parts.end());
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

template <typename Tokens>
void PrintTokens(CommandEnv& env, const Tokens& all) {
  Table table({"ID", "NAME", "ROLE", "STATE", "CREATED", "BY", "EXPIRES"});
  for (const v1::ApiToken& t : all) {
    table.AddRow(
        {absl::StrCat(t.id()), t.name(),
         std::string(t.role() == v1::ROLE_UNSPECIFIED ? "-"
                                                      : RoleName(t.role())),
         t.state(), FormatTimestamp(t.created_at()), t.created_by(),
         TimeOrDash(t.has_expires_at(), t.expires_at())});
  }
  env.out() << table.Render();
}

template <typename Secrets>
void PrintSecrets(CommandEnv& env, const Secrets& all) {
  Table table({"ID", "NAME", "LABELS", "STATE", "CREATED", "BY", "EXPIRES"});
  for (const v1::EnrollmentSecret& s : all) {
    table.AddRow({absl::StrCat(s.id()), s.name(), Labels(s), s.state(),
                  FormatTimestamp(s.created_at()), s.created_by(),
                  TimeOrDash(s.has_expires_at(), s.expires_at())});
  }
  env.out() << table.Render();
}

// The value, once, with what it is for. Secrets go to stdout only.
void PrintValue(CommandEnv& env, absl::string_view what,
                absl::string_view value) {
  env.out() << what << ": " << value << "\n"
            << "Shown once: only its SHA-256 is kept on the server.\n";
}

// Runs `call` on a connection and prints the reply with `print` (or JSON).
template <typename Response, typename Call, typename Print>
[[nodiscard]] absl::Status Run(CommandEnv& env, Call call, Print print) {
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  Response response;
  auto context = conn.NewContext();
  absl::Status status = conn.Check(call(conn, context.get(), &response));
  if (!status.ok()) return status;
  if (env.json()) {
    env.PrintJson(response);
    return absl::OkStatus();
  }
  print(response);
  return absl::OkStatus();
}

void AddTokens(CLI::App& app, Command* selected) {
  CLI::App* tokens = app.add_subcommand(
      "tokens", "Named API tokens with roles: viewer, operator, admin");
  tokens->require_subcommand(1);

  auto create = std::make_shared<TokenCreateOptions>();
  CLI::App* c = tokens->add_subcommand("create", "Create a token (shown once)");
  c->add_option("NAME", create->name, "Its name (in the audit log)")
      ->required();
  c->add_option("--role", create->role, "viewer, operator or admin")
      ->required();
  c->add_option("--expires-in", create->expires_in,
                "Stops working after this long (90d); default: never");
  c->callback([create, selected] {
    *selected = [create](CommandEnv& env) -> absl::Status {
      auto request = BuildCreateTokenRequest(*create);
      if (!request.ok()) return request.status();
      return Run<v1::CreateTokenResponse>(
          env,
          [&](const Connection& conn, grpc::ClientContext* ctx,
              v1::CreateTokenResponse* out) {
            return conn.admin().CreateToken(ctx, *request, out);
          },
          [&](const v1::CreateTokenResponse& r) {
            PrintTokens(env, std::vector<v1::ApiToken>{r.token()});
            PrintValue(env, "token", r.value());
          });
    };
  });

  auto include_revoked = std::make_shared<bool>(false);
  CLI::App* l = tokens->add_subcommand("list", "List tokens (never values)");
  l->add_flag("--all", *include_revoked, "Include revoked tokens");
  l->callback([include_revoked, selected] {
    *selected = [include_revoked](CommandEnv& env) -> absl::Status {
      v1::ListTokensRequest request;
      request.set_include_revoked(*include_revoked);
      return Run<v1::ListTokensResponse>(
          env,
          [&](const Connection& conn, grpc::ClientContext* ctx,
              v1::ListTokensResponse* out) {
            return conn.admin().ListTokens(ctx, request, out);
          },
          [&](const v1::ListTokensResponse& r) {
            PrintTokens(env, r.tokens());
          });
    };
  });

  auto revoke_ref = std::make_shared<std::string>();
  CLI::App* r = tokens->add_subcommand("revoke", "Revoke a token at once");
  r->add_option("TOKEN", *revoke_ref, "Its id or name")->required();
  r->callback([revoke_ref, selected] {
    *selected = [revoke_ref](CommandEnv& env) -> absl::Status {
      v1::RevokeTokenRequest request;
      request.set_token(*revoke_ref);
      return Run<v1::ApiToken>(
          env,
          [&](const Connection& conn, grpc::ClientContext* ctx,
              v1::ApiToken* out) {
            return conn.admin().RevokeToken(ctx, request, out);
          },
          [&](const v1::ApiToken& t) {
            PrintTokens(env, std::vector<v1::ApiToken>{t});
          });
    };
  });

  auto rotate_ref = std::make_shared<std::string>();
  CLI::App* rot = tokens->add_subcommand(
      "rotate",
      "Replace a token's value (same name and role); the old value "
      "stops working at once");
  rot->add_option("TOKEN", *rotate_ref,
                  "Its id or name (admin: the bootstrap "
                  "token from init)")
      ->required();
  rot->callback([rotate_ref, selected] {
    *selected = [rotate_ref](CommandEnv& env) -> absl::Status {
      v1::RotateTokenRequest request;
      request.set_token(*rotate_ref);
      return Run<v1::CreateTokenResponse>(
          env,
          [&](const Connection& conn, grpc::ClientContext* ctx,
              v1::CreateTokenResponse* out) {
            return conn.admin().RotateToken(ctx, request, out);
          },
          [&](const v1::CreateTokenResponse& resp) {
            PrintTokens(env, std::vector<v1::ApiToken>{resp.token()});
            PrintValue(env, "token", resp.value());
          });
    };
  });
}

void AddEnrollSecrets(CLI::App& app, Command* selected) {
  CLI::App* secrets = app.add_subcommand(
      "enroll-secrets", "Secrets runners enroll with (GPO EnrollmentSecret)");
  secrets->require_subcommand(1);

  auto create = std::make_shared<SecretCreateOptions>();
  CLI::App* c =
      secrets->add_subcommand("create", "Create a secret (shown once)");
  c->add_option("NAME", create->name, "Its name")->required();
  c->add_option("--label", create->labels,
                "key=value (repeatable): devices enrolled with it get these "
                "labels and cannot claim others for these keys");
  c->add_option("--expires-in", create->expires_in,
                "Stops enrolling after this long (30d); default: never");
  c->callback([create, selected] {
    *selected = [create](CommandEnv& env) -> absl::Status {
      auto request = BuildCreateSecretRequest(*create);
      if (!request.ok()) return request.status();
      return Run<v1::CreateEnrollmentSecretResponse>(
          env,
          [&](const Connection& conn, grpc::ClientContext* ctx,
              v1::CreateEnrollmentSecretResponse* out) {
            return conn.admin().CreateEnrollmentSecret(ctx, *request, out);
          },
          [&](const v1::CreateEnrollmentSecretResponse& r) {
            PrintSecrets(env, std::vector<v1::EnrollmentSecret>{r.secret()});
            PrintValue(env, "enrollment secret", r.value());
          });
    };
  });

  auto include_revoked = std::make_shared<bool>(false);
  CLI::App* l = secrets->add_subcommand("list", "List secrets (never values)");
  l->add_flag("--all", *include_revoked, "Include revoked secrets");
  l->callback([include_revoked, selected] {
    *selected = [include_revoked](CommandEnv& env) -> absl::Status {
      v1::ListEnrollmentSecretsRequest request;
      request.set_include_revoked(*include_revoked);
      return Run<v1::ListEnrollmentSecretsResponse>(
          env,
          [&](const Connection& conn, grpc::ClientContext* ctx,
              v1::ListEnrollmentSecretsResponse* out) {
            return conn.admin().ListEnrollmentSecrets(ctx, request, out);
          },
          [&](const v1::ListEnrollmentSecretsResponse& r) {
            PrintSecrets(env, r.secrets());
          });
    };
  });

  struct ExpireOptions {
    std::string ref;
    std::string in;
  };
  auto expire = std::make_shared<ExpireOptions>();
  CLI::App* e = secrets->add_subcommand(
      "expire", "Stop a secret enrolling now (or after --in)");
  e->add_option("SECRET", expire->ref, "Its id or name")->required();
  e->add_option("--in", expire->in, "After this long (24h); default: now");
  e->callback([expire, selected] {
    *selected = [expire](CommandEnv& env) -> absl::Status {
      v1::ExpireEnrollmentSecretRequest request;
      request.set_secret(expire->ref);
      if (!expire->in.empty()) {
        auto d = ParseCliDuration(expire->in, "--in");
        if (!d.ok()) return d.status();
        *request.mutable_after() = ToProtoDuration(*d);
      }
      return Run<v1::EnrollmentSecret>(
          env,
          [&](const Connection& conn, grpc::ClientContext* ctx,
              v1::EnrollmentSecret* out) {
            return conn.admin().ExpireEnrollmentSecret(ctx, request, out);
          },
          [&](const v1::EnrollmentSecret& s) {
            PrintSecrets(env, std::vector<v1::EnrollmentSecret>{s});
          });
    };
  });

  auto revoke_ref = std::make_shared<std::string>();
  CLI::App* r = secrets->add_subcommand("revoke", "Revoke a secret at once");
  r->add_option("SECRET", *revoke_ref, "Its id or name")->required();
  r->callback([revoke_ref, selected] {
    *selected = [revoke_ref](CommandEnv& env) -> absl::Status {
      v1::RevokeEnrollmentSecretRequest request;
      request.set_secret(*revoke_ref);
      return Run<v1::EnrollmentSecret>(
          env,
          [&](const Connection& conn, grpc::ClientContext* ctx,
              v1::EnrollmentSecret* out) {
            return conn.admin().RevokeEnrollmentSecret(ctx, request, out);
          },
          [&](const v1::EnrollmentSecret& s) {
            PrintSecrets(env, std::vector<v1::EnrollmentSecret>{s});
          });
    };
  });
}

}  // namespace

absl::StatusOr<v1::CreateTokenRequest> BuildCreateTokenRequest(
    const TokenCreateOptions& options) {
  v1::CreateTokenRequest request;
  request.set_name(options.name);
  const std::optional<v1::Role> role = ParseRole(options.role);
  if (!role) {
    return UsageError(absl::StrCat("--role \"", options.role,
                                   "\": expected viewer, operator or admin"));
  }
  request.set_role(*role);
  absl::Status s = SetExpiry(options.expires_in, request);
  if (!s.ok()) return s;
  return request;
}

absl::StatusOr<v1::CreateEnrollmentSecretRequest> BuildCreateSecretRequest(
    const SecretCreateOptions& options) {
  v1::CreateEnrollmentSecretRequest request;
  request.set_name(options.name);
  for (const std::string& label : options.labels) {
    absl::StatusOr<Label> parsed = ParseLabel(label, "--label");
    if (!parsed.ok()) return UsageError(parsed.status().message());
    if (request.labels().contains(parsed->key)) {
      return UsageError(
          absl::StrCat("--label: key \"", parsed->key, "\" given twice"));
    }
    (*request.mutable_labels())[parsed->key] = parsed->value;
  }
  absl::Status s = SetExpiry(options.expires_in, request);
  if (!s.ok()) return s;
  return request;
}

void AddAccessCommands(CLI::App& app, Command* selected) {
  AddTokens(app, selected);
  AddEnrollSecrets(app, selected);
}

}  // namespace mdefleet::cli

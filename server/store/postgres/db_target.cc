#include "server/store/postgres/db_target.h"

#include <libpq-fe.h>

#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace mdefleet::store {
namespace {

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// `message` without the URL's user information (user:password@), which a
// parse error could quote.
std::string WithoutUserInfo(std::string message, absl::string_view url) {
  const size_t scheme = url.find("://");
  const size_t at = url.rfind('@');
  if (scheme == absl::string_view::npos || at == absl::string_view::npos ||
      at < scheme) {
    return message;
  }
  const absl::string_view user_info = url.substr(scheme + 3, at - (scheme + 3));
  if (user_info.empty()) return message;
  return absl::StrReplaceAll(message, {{user_info, "<user>"}});
}

}  // namespace

absl::StatusOr<DbTarget> ParseDbTarget(absl::string_view text,
                                       absl::string_view field) {
  DbTarget target;
  if (text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": required: a SQLite database file, or a PostgreSQL URL "
                     "(postgresql://user@host:5432/mdefleet)"));
  }
  if (!IsPostgresUrl(text)) {
    target.sqlite_path = std::string(text);
    target.display = target.sqlite_path;
    return target;
  }
  const std::string url(text);
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoFree> options(
      PQconninfoParse(url.c_str(), &error));
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": not a PostgreSQL URL libpq accepts "
                     "(postgresql://user@host:port/dbname?option=value): ",
                     WithoutUserInfo(std::move(message), url)));
  }
  std::map<std::string, std::string> set;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val != nullptr && o->val[0] != '\0') set[o->keyword] = o->val;
  }
  if (set.count("password") > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": the PostgreSQL URL holds a password; a password on the command "
        "line shows in the process list and in logs. Leave it out of the URL "
        "and put it in a password file: ~/.pgpass of the user mdefleet-server "
        "runs as, or the file PGPASSFILE or passfile=/path names (mode 0600, "
        "lines host:port:dbname:user:password)"));
  }
  target.kind = DbTarget::Kind::kPostgres;
  target.postgres_url = url;
  const auto value = [&](const char* key, const char* fallback) {
    auto it = set.find(key);
    return it == set.end() ? std::string(fallback) : it->second;
  };
  target.display = absl::StrCat(
      "PostgreSQL database ", value("dbname", "(the user's name)"), " on ",
      value("host", "the local socket"), ":", value("port", "5432"), " as ",
      value("user", "(this process's user)"));
  return target;
}

}  // namespace mdefleet::store

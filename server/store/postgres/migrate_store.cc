#include "server/store/postgres/migrate_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "server/store/migrations.h"
#include "server/store/postgres/db_target.h"
#include "server/store/postgres/pg_connection.h"
#include "server/store/postgres/pg_migrations.h"
#include "server/store/sqlite.h"

namespace mdefleet::store::postgres {
namespace {

// Filled by PostgreSQL's migration (meta, schema_migrations) or its triggers
// (job_step_counts, from steps); never copied.
const std::set<std::string>& NotCopied() {
  static const auto* tables =
      new std::set<std::string>{"meta", "schema_migrations", "job_step_counts"};
  return *tables;
}

// Rows per INSERT, and the bytes buffered before one is sent anyway (a
// table of artifacts may hold large blobs).
constexpr int kBatchRows = 256;
constexpr size_t kBatchBytes = 8 << 20;
// PostgreSQL's limit of parameters per statement.
constexpr int kMaxParams = 65535;

std::string Quote(absl::string_view name) {
  return absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"");
}

[[nodiscard]] absl::Status Named(absl::string_view flag, absl::string_view what,
                                 const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(flag, " ", what, ": ", status.message()));
}

// --- The source: a SQLite file, read in one read transaction. ---

struct SourceTable {
  std::string name;
  std::vector<std::string> columns;  // SQLite's declared columns
  std::vector<std::string> parents;  // tables its foreign keys name
  int64_t rows = 0;
};

[[nodiscard]] absl::StatusOr<std::vector<std::string>> TextColumn(
    Connection& db, absl::string_view sql, absl::string_view arg = {}) {
  ASSIGN_OR_RETURN(std::unique_ptr<Statement> st, db.PrepareOnce(sql));
  if (!arg.empty()) st->Bind(1, arg);
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return out;
    out.push_back(st->ColumnText(0));
  }
}

[[nodiscard]] absl::StatusOr<int64_t> CountRows(Connection& db,
                                                absl::string_view table) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<Statement> st,
      db.PrepareOnce(absl::StrCat("SELECT count(*) FROM ", Quote(table))));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

// The tables to copy, parents before the tables whose foreign keys name
// them (then by name), read from the source's own schema.
[[nodiscard]] absl::StatusOr<std::vector<SourceTable>> SourceTables(
    SqliteConnection& db) {
  ASSIGN_OR_RETURN(
      std::vector<std::string> names,
      TextColumn(db,
                 "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                 "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"));
  std::map<std::string, SourceTable> pending;
  for (const std::string& name : names) {
    if (NotCopied().contains(name)) continue;
    SourceTable t;
    t.name = name;
    ASSIGN_OR_RETURN(
        t.columns,
        TextColumn(db, "SELECT name FROM pragma_table_info(?1)", name));
    ASSIGN_OR_RETURN(t.parents, TextColumn(db,
                                           "SELECT DISTINCT \"table\" FROM "
                                           "pragma_foreign_key_list(?1)",
                                           name));
    ASSIGN_OR_RETURN(t.rows, CountRows(db, name));
    pending.emplace(name, std::move(t));
  }
  std::vector<SourceTable> ordered;
  std::set<std::string> placed;
  while (!pending.empty()) {
    bool progressed = false;
    for (auto it = pending.begin(); it != pending.end();) {
      bool ready = true;
      for (const std::string& parent : it->second.parents) {
        if (parent != it->first && pending.contains(parent)) ready = false;
      }
      if (!ready) {
        ++it;
        continue;
      }
      ordered.push_back(std::move(it->second));
      it = pending.erase(it);
      progressed = true;
    }
    if (!progressed) {
      return absl::FailedPreconditionError(
          absl::StrCat("the foreign keys of tables ",
                       absl::StrJoin(pending, ", ",
                                     [](std::string* out, const auto& entry) {
                                       out->append(entry.first);
                                     }),
                       " form a cycle; no copy order satisfies them"));
    }
  }
  return ordered;
}

// FailedPrecondition when the file's write-ahead log holds writes: a serve
// still runs on it (whose later writes the copy would miss), or one
// stopped without closing the store.
[[nodiscard]] absl::Status CheckSourceIdle(const std::string& path) {
  struct stat st;
  const std::string wal = absl::StrCat(path, "-wal");
  if (::stat(wal.c_str(), &st) != 0 || st.st_size == 0) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "--from ", path, ": ", wal,
      " holds writes not yet in the database: a serve is still running on "
      "it, or stopped without closing it. Stop serve (or start it once and "
      "stop it) before copying"));
}

[[nodiscard]] absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenSource(
    const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("--from: give the SQLite store's file");
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("--from ", path, ": no such file"));
  }
  RETURN_IF_ERROR(CheckSourceIdle(path));
  absl::StatusOr<std::unique_ptr<SqliteConnection>> db =
      SqliteConnection::Open(path, SQLITE_OPEN_READONLY);
  if (!db.ok()) return Named("--from", path, db.status());
  RETURN_IF_ERROR((*db)->Exec("PRAGMA busy_timeout = 10000"));
  absl::StatusOr<int> version = SchemaVersion(**db);
  if (!version.ok()) return Named("--from", path, version.status());
  if (*version == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--from ", path, ": not an mdefleet database: it is empty"));
  }
  const int latest = LatestSchemaVersion();
  if (*version != latest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--from ", path, ": schema version ", *version,
        ", this mdefleet-server copies version ", latest,
        (*version < latest
             ? absl::StrCat(": start `mdefleet-server serve --db ", path,
                            "` of this version once (it migrates the store "
                            "at start), stop it, then copy")
             : ": a newer mdefleet-server wrote it; copy with that version")));
  }
  return db;
}

// --- The target: a PostgreSQL database, empty or a store without rows. ---

struct TargetColumn {
  bool bytea = false;
  bool identity = false;
};
using TargetColumns = std::map<std::string, TargetColumn>;

[[nodiscard]] absl::StatusOr<TargetColumns> ColumnsOf(PgConnection& db,
                                                      absl::string_view table) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<Statement> st,
      db.PrepareOnce("SELECT column_name, data_type, is_identity FROM "
                     "information_schema.columns WHERE table_schema = "
                     "current_schema() AND table_name = ?1"));
  st->Bind(1, table);
  TargetColumns out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out[st->ColumnText(0)] = {.bytea = st->ColumnText(1) == "bytea",
                              .identity = st->ColumnText(2) == "YES"};
  }
  if (out.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the PostgreSQL schema has no table ", table));
  }
  return out;
}

// The first table of an mdefleet PostgreSQL store that holds rows ("" when
// none does).
[[nodiscard]] absl::StatusOr<std::string> TableWithRows(PgConnection& db) {
  ASSIGN_OR_RETURN(
      std::vector<std::string> tables,
      TextColumn(db,
                 "SELECT tablename FROM pg_tables WHERE schemaname = "
                 "current_schema() ORDER BY tablename"));
  for (const std::string& table : tables) {
    if (table == "meta" || table == "schema_migrations") continue;
    ASSIGN_OR_RETURN(std::unique_ptr<Statement> st,
                     db.PrepareOnce(absl::StrCat(
                         "SELECT EXISTS (SELECT 1 FROM ", Quote(table), ")")));
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (row && st->ColumnText(0) == "t") return table;
  }
  return std::string();
}

[[nodiscard]] absl::StatusOr<std::unique_ptr<PgConnection>> OpenTarget(
    const DbTarget& target, int64_t now_micros) {
  const std::string& shown = target.display;
  absl::StatusOr<std::unique_ptr<PgConnection>> db =
      PgConnection::Open(target.postgres_url);
  if (!db.ok()) return Named("--to", shown, db.status());
  // PostgreSQL's errors without their DETAIL, which repeats a failing row
  // (token hashes among its values): errors never show rows' contents.
  PQsetErrorVerbosity((*db)->raw(), PQERRORS_TERSE);
  RETURN_IF_ERROR((*db)->Exec("SET TIME ZONE 'UTC'"));
  absl::StatusOr<int> version = PostgresSchemaVersion(**db);
  if (!version.ok()) return Named("--to", shown, version.status());
  if (*version > 0) {
    absl::StatusOr<std::string> full = TableWithRows(**db);
    if (!full.ok()) return Named("--to", shown, full.status());
    if (!full->empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--to ", shown, ": already holds an mdefleet store with data (table ",
          *full,
          " has rows); migrate-store copies only into an empty database and "
          "changed nothing"));
    }
  }
  absl::Status migrated = MigratePostgres(**db, now_micros);
  if (!migrated.ok()) return Named("--to", shown, migrated);
  return db;
}

// --- The copy. ---

// One source value as read, bound as the target column wants it.
struct Value {
  int type = SQLITE_NULL;
  int64_t integer = 0;
  std::string bytes;
};

class TableCopier {
 public:
  TableCopier(sqlite3* source, PgConnection& target, const SourceTable& table,
              std::vector<std::string> columns, std::vector<bool> bytea,
              bool overriding)
      : source_(source),
        target_(target),
        table_(table),
        columns_(std::move(columns)),
        bytea_(std::move(bytea)),
        overriding_(overriding),
        batch_rows_(std::min(kBatchRows,
                             kMaxParams / static_cast<int>(columns_.size()))) {}

  // Copies every row; returns how many were inserted.
  [[nodiscard]] absl::StatusOr<int64_t> Run() {
    std::vector<std::string> selected;
    for (const std::string& c : columns_) selected.push_back(Quote(c));
    const std::string select = absl::StrCat(
        "SELECT ", absl::StrJoin(selected, ", "), " FROM ", Quote(table_.name));
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(source_, select.c_str(), -1, &raw, nullptr) !=
        SQLITE_OK) {
      return SqliteStatus(sqlite3_errcode(source_), "read", table_.name);
    }
    StatementHandle st(raw);
    const int n = static_cast<int>(columns_.size());
    while (true) {
      int rc = sqlite3_step(st.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        return SqliteStatus(rc, absl::StrCat("read ", table_.name),
                            sqlite3_errmsg(source_));
      }
      for (int c = 0; c < n; ++c) {
        Value v;
        v.type = sqlite3_column_type(st.get(), c);
        if (v.type == SQLITE_INTEGER) {
          v.integer = sqlite3_column_int64(st.get(), c);
        } else if (v.type != SQLITE_NULL) {
          // Text or blob bytes as stored; REAL as SQLite's text of it.
          const void* data = v.type == SQLITE_BLOB
                                 ? sqlite3_column_blob(st.get(), c)
                                 : sqlite3_column_text(st.get(), c);
          const int size = sqlite3_column_bytes(st.get(), c);
          if (data != nullptr) {
            v.bytes.assign(static_cast<const char*>(data),
                           static_cast<size_t>(size));
          }
          buffered_bytes_ += v.bytes.size();
        }
        values_.push_back(std::move(v));
      }
      if (++buffered_rows_ == batch_rows_ || buffered_bytes_ >= kBatchBytes) {
        RETURN_IF_ERROR(Flush());
      }
    }
    RETURN_IF_ERROR(Flush());
    return inserted_;
  }

 private:
  std::string InsertSql(int rows) const {
    std::vector<std::string> names;
    for (const std::string& c : columns_) names.push_back(Quote(c));
    std::string sql = absl::StrCat(
        "INSERT INTO ", Quote(table_.name), " (", absl::StrJoin(names, ", "),
        ")", overriding_ ? " OVERRIDING SYSTEM VALUE" : "", " VALUES ");
    const int n = static_cast<int>(columns_.size());
    for (int r = 0; r < rows; ++r) {
      absl::StrAppend(&sql, r == 0 ? "(" : ", (");
      for (int c = 0; c < n; ++c) {
        absl::StrAppend(&sql, c == 0 ? "" : ", ", "?", r * n + c + 1);
      }
      absl::StrAppend(&sql, ")");
    }
    return sql;
  }

  [[nodiscard]] absl::Status Flush() {
    if (buffered_rows_ == 0) return absl::OkStatus();
    // The full batch's statement is prepared once; a shorter last one for
    // itself.
    std::unique_ptr<Statement> once;
    Statement* st;
    if (buffered_rows_ == batch_rows_) {
      if (full_batch_ == nullptr) {
        ASSIGN_OR_RETURN(full_batch_,
                         target_.PrepareOnce(InsertSql(batch_rows_)));
      }
      st = full_batch_.get();
    } else {
      ASSIGN_OR_RETURN(once, target_.PrepareOnce(InsertSql(buffered_rows_)));
      st = once.get();
    }
    const int n = static_cast<int>(columns_.size());
    for (size_t i = 0; i < values_.size(); ++i) {
      const Value& v = values_[i];
      const int index = static_cast<int>(i) + 1;
      if (v.type == SQLITE_NULL) {
        st->BindNull(index);
      } else if (bytea_[i % static_cast<size_t>(n)]) {
        st->BindBlob(index, v.bytes);
      } else if (v.type == SQLITE_INTEGER) {
        st->Bind(index, v.integer);
      } else {
        st->Bind(index, absl::string_view(v.bytes));
      }
    }
    absl::Status ran = st->Run();
    st->Reset();
    if (!ran.ok()) {
      return absl::Status(
          ran.code(), absl::StrCat("copy ", table_.name, ": ", ran.message()));
    }
    inserted_ += buffered_rows_;
    values_.clear();
    buffered_rows_ = 0;
    buffered_bytes_ = 0;
    return absl::OkStatus();
  }

  sqlite3* source_;
  PgConnection& target_;
  const SourceTable& table_;
  std::vector<std::string> columns_;
  std::vector<bool> bytea_;
  bool overriding_;
  int batch_rows_;
  std::unique_ptr<Statement> full_batch_;
  std::vector<Value> values_;
  int buffered_rows_ = 0;
  size_t buffered_bytes_ = 0;
  int64_t inserted_ = 0;
};

// Copies one table and moves its identity sequences past the copied ids, so
// rows the store adds later continue after them.
[[nodiscard]] absl::Status CopyTable(SqliteConnection& source,
                                     PgConnection& target,
                                     const SourceTable& table) {
  ASSIGN_OR_RETURN(const TargetColumns target_columns,
                   ColumnsOf(target, table.name));
  std::vector<std::string> columns = table.columns;
  // The SQLite rowid the store reads (artifacts, jobs, tasks) is a column
  // of that name in PostgreSQL; copied so cursors stay valid.
  if (target_columns.contains("rowid") &&
      std::find(columns.begin(), columns.end(), "rowid") == columns.end()) {
    columns.push_back("rowid");
  }
  std::vector<bool> bytea;
  std::vector<std::string> identities;
  for (const std::string& c : columns) {
    auto it = target_columns.find(c);
    if (it == target_columns.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the PostgreSQL table ", table.name, " has no column ", c));
    }
    bytea.push_back(it->second.bytea);
    if (it->second.identity) identities.push_back(c);
  }
  TableCopier copier(source.raw(), target, table, columns, std::move(bytea),
                     /*overriding=*/!identities.empty());
  RETURN_IF_ERROR(copier.Run().status());
  for (const std::string& c : identities) {
    RETURN_IF_ERROR(target.Exec(absl::StrCat(
        "SELECT setval(pg_get_serial_sequence('", Quote(table.name), "', '", c,
        "'), max(", Quote(c), ")) FROM ", Quote(table.name), " HAVING max(",
        Quote(c), ") IS NOT NULL")));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CopyAll(SqliteConnection& source,
                                   PgConnection& target,
                                   const std::vector<SourceTable>& tables,
                                   const CopyProgress& progress) {
  RETURN_IF_ERROR(target.Exec("BEGIN"));
  absl::Status copied = [&]() -> absl::Status {
    for (const SourceTable& table : tables) {
      if (progress) progress(table.name, table.rows);
      RETURN_IF_ERROR(CopyTable(source, target, table));
    }
    return target.Exec("COMMIT");
  }();
  if (!copied.ok()) (void)target.Exec("ROLLBACK");
  return copied;
}

// job_step_counts' current rows (count > 0; SQLite keeps rows whose count
// fell to 0, which a rebuild has no reason to make) as text, for comparing.
[[nodiscard]] absl::StatusOr<std::set<std::string>> StepCounts(Connection& db) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<Statement> st,
      db.PrepareOnce("SELECT job_id, name, state, count FROM job_step_counts "
                     "WHERE count > 0"));
  std::set<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return out;
    out.insert(absl::StrCat(st->ColumnText(0), "\x1f", st->ColumnText(1),
                            "\x1f", st->ColumnInt(2), "\x1f",
                            st->ColumnInt(3)));
  }
}

[[nodiscard]] absl::StatusOr<TableCopy> CompareStepCounts(Connection& source,
                                                          Connection& target) {
  ASSIGN_OR_RETURN(const std::set<std::string> want, StepCounts(source));
  ASSIGN_OR_RETURN(const std::set<std::string> got, StepCounts(target));
  return TableCopy{.table = "job_step_counts",
                   .source_rows = static_cast<int64_t>(want.size()),
                   .copied_rows = static_cast<int64_t>(got.size()),
                   .same_rows = want == got};
}

}  // namespace

absl::StatusOr<MigrateStoreReport> MigrateStore(const std::string& from,
                                                const std::string& to,
                                                const Clock& clock,
                                                const CopyProgress& progress) {
  const absl::Time start = absl::Now();  // the copy's own time, not the store's
  ASSIGN_OR_RETURN(const DbTarget target, ParseDbTarget(to, "--to"));
  if (target.kind != DbTarget::Kind::kPostgres) {
    return absl::InvalidArgumentError(
        absl::StrCat("--to ", target.display,
                     ": not a PostgreSQL URL; give the database as "
                     "postgresql://user@host:port/dbname"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> source, OpenSource(from));
  // One read transaction: every table from the same moment.
  RETURN_IF_ERROR(source->Exec("BEGIN"));
  absl::StatusOr<std::vector<SourceTable>> tables = SourceTables(*source);
  if (!tables.ok()) return Named("--from", from, tables.status());
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> db,
                   OpenTarget(target, absl::ToUnixMicros(clock.Now())));
  absl::Status copied = CopyAll(*source, *db, *tables, progress);
  if (!copied.ok()) {
    return Named("--to", target.display,
                 absl::Status(copied.code(),
                              absl::StrCat(copied.message(),
                                           "; rolled back, nothing copied")));
  }

  MigrateStoreReport report;
  for (const SourceTable& table : *tables) {
    absl::StatusOr<int64_t> rows = CountRows(*db, table.name);
    if (!rows.ok()) return Named("--to", target.display, rows.status());
    report.tables.push_back(
        {.table = table.name, .source_rows = table.rows, .copied_rows = *rows});
  }
  ASSIGN_OR_RETURN(TableCopy counts, CompareStepCounts(*source, *db));
  report.tables.push_back(counts);
  RETURN_IF_ERROR(source->Exec("COMMIT"));
  report.elapsed = absl::Now() - start;
  return report;
}

std::string FormatMigrateStoreReport(const MigrateStoreReport& report) {
  std::string out = absl::StrFormat("%-24s %12s %12s  %s\n", "table",
                                    "source rows", "copied rows", "ok");
  for (const TableCopy& t : report.tables) {
    absl::StrAppend(
        &out, absl::StrFormat("%-24s %12d %12d  %s\n", t.table, t.source_rows,
                              t.copied_rows, t.ok() ? "ok" : "DIFFERS"));
  }
  absl::StrAppend(&out, "total time: ", absl::FormatDuration(report.elapsed),
                  report.ok() ? "" : "; counts differ", "\n");
  return out;
}

}  // namespace mdefleet::store::postgres

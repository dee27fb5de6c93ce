// `mdefleet-server migrate-store`: copies a SQLite store, every table, into
// an empty PostgreSQL database (docs/scale-out.md, "Moving up"). The source
// is only read; the copy is one PostgreSQL transaction, so a failed copy
// leaves the target as it found it (migrated, without rows).
#ifndef MDEFLEET_SERVER_STORE_POSTGRES_MIGRATE_STORE_H_
#define MDEFLEET_SERVER_STORE_POSTGRES_MIGRATE_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mdefleet::store::postgres {

// One table's rows on both sides, counted after the copy committed.
struct TableCopy {
  std::string table;
  int64_t source_rows = 0;
  int64_t copied_rows = 0;
  // job_step_counts: whether its rows (not only their number) agree.
  bool same_rows = true;
  bool ok() const { return source_rows == copied_rows && same_rows; }
};

struct MigrateStoreReport {
  // In copy order (parents before the tables that refer to them), then
  // job_step_counts (not copied: PostgreSQL's triggers rebuild it from the
  // steps; its rows with a count above 0 are compared).
  std::vector<TableCopy> tables;
  absl::Duration elapsed;
  bool ok() const {
    for (const TableCopy& t : tables) {
      if (!t.ok()) return false;
    }
    return true;
  }
};

// Hears of each table as it is copied (for progress lines); never of rows'
// contents.
using CopyProgress = std::function<void(absl::string_view table, int64_t rows)>;

// Copies the SQLite store at `from` (opened read-only; it must be at
// LatestSchemaVersion()) into the PostgreSQL database `to` (a
// postgresql:// URL: empty, or an mdefleet store without rows), migrating
// the target first. Errors name --from or --to: InvalidArgument for a bad
// --to, FailedPrecondition for a missing, foreign, older or busy source or
// a target that holds data, Unavailable when PostgreSQL cannot be reached.
// A report whose ok() is false means the copy committed but a count differs.
[[nodiscard]] absl::StatusOr<MigrateStoreReport> MigrateStore(
    const std::string& from, const std::string& to, const Clock& clock,
    const CopyProgress& progress = nullptr);

// The report as a text table (table, source rows, copied rows, ok) with the
// total time, for stdout.
std::string FormatMigrateStoreReport(const MigrateStoreReport& report);

}  // namespace mdefleet::store::postgres

#endif  // MDEFLEET_SERVER_STORE_POSTGRES_MIGRATE_STORE_H_

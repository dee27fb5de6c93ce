#include "server/store/devices.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/device_needs.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/store/deterministic_bytes.h"
#include "server/store/settings.h"

namespace mdefleet::store {
namespace {

// Facts as stored: serialized deterministically (map fields such as labels
// in key order), so that the same facts always give the same bytes and a
// refresh can tell "nothing changed" by comparing them.
std::string FactsBlob(const v1::DeviceFacts& facts) {
  return DeterministicBytes(facts);
}

// A bound parameter: an integer or a text.
struct Param {
  Param(int64_t v) : is_int(true), i(v) {}   // NOLINT: implicit on purpose
  Param(std::string v) : s(std::move(v)) {}  // NOLINT
  bool is_int = false;
  int64_t i = 0;
  std::string s;
};

[[nodiscard]] absl::Status ReplaceLabels(Connection& db,
                                         absl::string_view device_id,
                                         const v1::DeviceFacts& facts) {
  {
    ASSIGN_OR_RETURN(
        CachedStatement del,
        db.Prepare("DELETE FROM device_labels WHERE device_id = ?1"));
    del->Bind(1, device_id);
    RETURN_IF_ERROR(del->Run());
  }
  ASSIGN_OR_RETURN(CachedStatement ins,
                   db.Prepare("INSERT INTO device_labels (device_id, key, "
                              "value) VALUES (?1, ?2, ?3)"));
  for (const auto& [key, value] : facts.labels()) {
    ins->Bind(1, device_id);
    ins->Bind(2, key);
    ins->Bind(3, value);
    RETURN_IF_ERROR(ins->Run());
    ins->Reset();
  }
  return absl::OkStatus();
}

// True for a device that shares its senseGuid hash with another one.
constexpr char kClonedTerm[] =
    "(d.sense_guid_sha256 <> '' AND EXISTS (SELECT 1 FROM devices o WHERE "
    "o.sense_guid_sha256 = d.sense_guid_sha256 AND o.id <> d.id))";

// Ids of the other devices with d's senseGuid hash, comma-separated.
#define MDF_CLONE_OF_COLUMN(concat)                      \
  "(SELECT " concat                                      \
  " FROM devices o WHERE d.sense_guid_sha256 <> '' AND " \
  "o.sense_guid_sha256 = d.sense_guid_sha256 AND o.id <> d.id)"

// True for an unrevoked device enrolled with another device's host identity
// without proof.
constexpr char kDuplicateIdentityTerm[] =
    "(d.duplicate_of <> '' AND d.revoked_at IS NULL)";

// Host names compare without case, as host: globs match: SQLite's NOCASE
// (ASCII) and PostgreSQL's lower(); devices_by_hostname serves the lookup
// in each (on lower(hostname) in PostgreSQL).
#define MDF_SAME_HOSTNAME_SQLITE "o.hostname COLLATE NOCASE = d.hostname"
#define MDF_SAME_HOSTNAME_POSTGRES "lower(o.hostname) = lower(d.hostname)"

// True for a device whose host name another device reports too.
#define MDF_DUPLICATE_HOSTNAME_TERM(same)                             \
  "(d.hostname <> '' AND EXISTS (SELECT 1 FROM devices o WHERE " same \
  " AND o.id <> d.id))"

// Ids of the other devices reporting d's host name, comma-separated.
#define MDF_HOSTNAME_SHARED_WITH_COLUMN(concat, same)                  \
  "(SELECT " concat " FROM devices o WHERE d.hostname <> '' AND " same \
  " AND o.id <> d.id)"

const char* DuplicateHostnameTerm(SqlDialect dialect) {
  return dialect == SqlDialect::kSqlite
             ? MDF_DUPLICATE_HOSTNAME_TERM(MDF_SAME_HOSTNAME_SQLITE)
             : MDF_DUPLICATE_HOSTNAME_TERM(MDF_SAME_HOSTNAME_POSTGRES);
}

// A host: glob as a LIKE pattern of the lower-cased name: * is %, ? is _,
// and LIKE's own wildcards and escape are escaped.
std::string GlobAsLikePattern(absl::string_view glob) {
  std::string like;
  for (const char c : glob) {
    if (c == '*') {
      like.push_back('%');
    } else if (c == '?') {
      like.push_back('_');
    } else {
      if (c == '%' || c == '_' || c == '\\') like.push_back('\\');
      like.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
  }
  return like;
}

// WHERE clause (without "WHERE") and its parameters for a query.
std::string WhereClause(SqlDialect dialect, const DeviceQuery& q,
                        std::vector<Param>& params, bool with_paging) {
  const bool sqlite = dialect == SqlDialect::kSqlite;
  std::vector<std::string> terms;
  auto add = [&](Param p) {
    params.push_back(std::move(p));
    return absl::StrCat("?", params.size());
  };
  if (!q.device_ids.empty()) {
    std::vector<std::string> marks;
    for (const std::string& id : q.device_ids) marks.push_back(add(id));
    terms.push_back(absl::StrCat("d.id IN (", absl::StrJoin(marks, ","), ")"));
  }
  if (!q.os_families.empty()) {
    std::vector<std::string> marks;
    for (v1::OsFamily f : q.os_families) {
      marks.push_back(add(static_cast<int64_t>(f)));
    }
    terms.push_back(
        absl::StrCat("d.os_family IN (", absl::StrJoin(marks, ","), ")"));
  }
  for (const auto& [key, value] : q.labels) {
    std::string k = add(key);
    std::string v = add(value);
    terms.push_back(absl::StrCat(
        "EXISTS (SELECT 1 FROM device_labels l WHERE l.device_id = d.id AND "
        "l.key = ",
        k, " AND l.value = ", v, ")"));
  }
  if (q.mde_state != v1::MDE_STATE_UNSPECIFIED) {
    terms.push_back(
        absl::StrCat("d.mde_state = ", add(static_cast<int64_t>(q.mde_state))));
  }
  if (q.seen_since) {
    terms.push_back(absl::StrCat("d.last_seen_at >= ", add(*q.seen_since)));
  }
  if (q.seen_before) {
    terms.push_back(absl::StrCat("d.last_seen_at <= ", add(*q.seen_before)));
  }
  if (!q.hostname_glob.empty()) {
    terms.push_back(
        sqlite
            ? absl::StrCat("mdf_glob(", add(q.hostname_glob), ", d.hostname)")
            : absl::StrCat("lower(d.hostname) LIKE ",
                           add(GlobAsLikePattern(q.hostname_glob)),
                           " ESCAPE '\\'"));
  }
  if (q.needs_any != 0) {
    std::vector<std::string> any;
    const uint32_t fact_bits =
        q.needs_any & ~(kNeedCloned | kNeedOffline | kNeedDuplicateIdentity |
                        kNeedDuplicateHostname);
    if (fact_bits != 0) {
      any.push_back(absl::StrCat(
          "(d.needs & ", add(static_cast<int64_t>(fact_bits)), ") <> 0"));
    }
    if (q.needs_any & kNeedCloned) any.push_back(kClonedTerm);
    if (q.needs_any & kNeedDuplicateIdentity) {
      any.push_back(kDuplicateIdentityTerm);
    }
    if (q.needs_any & kNeedDuplicateHostname) {
      any.push_back(DuplicateHostnameTerm(dialect));
    }
    if (q.needs_any & kNeedOffline) {
      any.push_back(absl::StrCat(
          "(d.last_seen_at < ", add(q.offline_before), " AND d.mde_state IN (",
          static_cast<int>(v1::MDE_STATE_ONBOARDED), ",",
          static_cast<int>(v1::MDE_STATE_SENSE_NOT_RUNNING), "))"));
    }
    terms.push_back(absl::StrCat("(", absl::StrJoin(any, " OR "), ")"));
  }
  if (with_paging && q.after) {
    std::string h = add(q.after->first);
    std::string i = add(q.after->second);
    const std::string name =
        sqlite ? "d.hostname COLLATE NOCASE" : "lower(d.hostname)";
    if (!sqlite) h = absl::StrCat("lower(", h, ")");
    terms.push_back(absl::StrCat("(", name, " > ", h, " OR (", name, " = ", h,
                                 " AND d.id > ", i, "))"));
  }
  return terms.empty() ? "1 = 1" : absl::StrJoin(terms, " AND ");
}

void BindAll(Statement& st, const std::vector<Param>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    if (params[i].is_int) {
      st.Bind(index, params[i].i);
    } else {
      st.Bind(index, params[i].s);
    }
  }
}

[[nodiscard]] absl::StatusOr<DeviceRow> ReadRow(const Statement& st) {
  DeviceRow row;
  row.id = st.ColumnText(0);
  if (!row.facts.ParseFromString(st.ColumnBlob(1))) {
    return absl::DataLossError(
        absl::StrCat("device ", row.id, ": unreadable facts"));
  }
  row.facts.set_os_family(static_cast<v1::OsFamily>(st.ColumnInt(2)));
  row.facts.set_mde_state(static_cast<v1::MdeState>(st.ColumnInt(3)));
  row.enrolled_at = st.ColumnInt(4);
  row.last_seen_at = st.ColumnInt(5);
  row.needs = static_cast<uint32_t>(st.ColumnInt(6));
  const std::string clones = st.ColumnText(7);
  if (!clones.empty()) {
    row.clone_of = absl::StrSplit(clones, ',');
    std::sort(row.clone_of.begin(), row.clone_of.end());
  }
  row.duplicate_of = st.ColumnText(9);
  row.revoked = st.ColumnInt(10) != 0;
  const std::string same_name = st.ColumnText(8);
  if (!same_name.empty()) {
    row.hostname_shared_with = absl::StrSplit(same_name, ',');
    std::sort(row.hostname_shared_with.begin(), row.hostname_shared_with.end());
  }
  return row;
}

#define MDF_SELECT_DEVICE_COLUMNS(concat, same) \
  "SELECT d.id, d.facts, d.os_family, d.mde_state, d.enrolled_at, "       \
  "d.last_seen_at, d.needs, " MDF_CLONE_OF_COLUMN(                        \
      concat) ", " MDF_HOSTNAME_SHARED_WITH_COLUMN(concat, same)          \
      ", d.duplicate_of, d.revoked_at IS NOT NULL FROM devices d"

const char* SelectColumns(SqlDialect dialect) {
  return dialect == SqlDialect::kSqlite
             ? MDF_SELECT_DEVICE_COLUMNS("group_concat(o.id)",
                                         MDF_SAME_HOSTNAME_SQLITE)
             : MDF_SELECT_DEVICE_COLUMNS("string_agg(o.id, ',')",
                                         MDF_SAME_HOSTNAME_POSTGRES);
}

// Other devices already reporting `sense_hash`, sorted.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> DevicesWithSenseHash(
    Connection& db, absl::string_view sense_hash, absl::string_view except_id) {
  std::vector<std::string> ids;
  if (sense_hash.empty()) return ids;
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT id FROM devices WHERE "
                              "sense_guid_sha256 = ?1 AND id <> ?2 "
                              "ORDER BY id"));
  st->Bind(1, sense_hash);
  st->Bind(2, except_id);
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ids.push_back(st->ColumnText(0));
  }
  return ids;
}

// Binds the columns derived from `facts` (needs, needs_rules,
// sense_guid_sha256: the needs mask and the hash clones are found by) to
// parameters first..first+2, so they are written with the facts.
// `mde_workspace_ids`: the server's setting (GetMdeWorkspaceIds).
void BindDerived(Statement& st, int first, const v1::DeviceFacts& facts,
                 absl::Span<const std::string> mde_workspace_ids) {
  st.Bind(first, static_cast<int64_t>(FactNeeds(facts, mde_workspace_ids)));
  st.Bind(first + 1, static_cast<int64_t>(kNeedRulesVersion));
  st.Bind(first + 2, facts.sense_guid_sha256());
}

// Rewrites the derived columns of one device (rules changed).
[[nodiscard]] absl::Status StoreDerived(
    Connection& db, absl::string_view device_id, const v1::DeviceFacts& facts,
    absl::Span<const std::string> mde_workspace_ids) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE devices SET needs = ?2, needs_rules = ?3, "
                 "sense_guid_sha256 = ?4 WHERE id = ?1"));
  st->Bind(1, device_id);
  BindDerived(*st, 2, facts, mde_workspace_ids);
  return st->Run();
}

}  // namespace

void HashHostIdentity(v1::DeviceFacts* facts) {
  facts->set_host_identity_sha256(
      facts->host_identity().empty() ? "" : Sha256Hex(facts->host_identity()));
  facts->clear_host_identity();
}

absl::StatusOr<EnrollResult> CreateDevice(
    Connection& db, const v1::DeviceFacts& facts, absl::string_view token_hash,
    absl::string_view new_id, absl::string_view duplicate_of, int64_t now) {
  EnrollResult result;
  result.device_id = std::string(new_id);
  result.new_device = true;
  ASSIGN_OR_RETURN(const std::vector<std::string> mde_ids,
                   GetMdeWorkspaceIds(db));
  {
    ASSIGN_OR_RETURN(
        CachedStatement ins,
        db.Prepare("INSERT INTO devices (id, token_hash, host_identity_sha256, "
                   "hostname, os_family, mde_state, facts, enrolled_at, "
                   "last_seen_at, needs, needs_rules, sense_guid_sha256, "
                   "duplicate_of) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12)"));
    ins->Bind(1, result.device_id);
    ins->Bind(2, token_hash);
    ins->Bind(3, facts.host_identity_sha256());
    ins->Bind(4, facts.hostname());
    ins->Bind(5, static_cast<int64_t>(facts.os_family()));
    ins->Bind(6, static_cast<int64_t>(facts.mde_state()));
    ins->BindBlob(7, FactsBlob(facts));
    ins->Bind(8, now);
    BindDerived(*ins, 9, facts, mde_ids);
    ins->Bind(12, duplicate_of);
    RETURN_IF_ERROR(ins->Run());
  }
  RETURN_IF_ERROR(ReplaceLabels(db, result.device_id, facts));
  ASSIGN_OR_RETURN(
      result.new_clone_of,
      DevicesWithSenseHash(db, facts.sense_guid_sha256(), result.device_id));
  return result;
}

absl::StatusOr<EnrollResult> ReenrollDevice(Connection& db,
                                            absl::string_view device_id,
                                            const v1::DeviceFacts& facts,
                                            absl::string_view token_hash,
                                            int64_t now) {
  EnrollResult result;
  result.device_id = std::string(device_id);
  ASSIGN_OR_RETURN(const std::vector<std::string> mde_ids,
                   GetMdeWorkspaceIds(db));
  {
    ASSIGN_OR_RETURN(
        CachedStatement upd,
        db.Prepare("UPDATE devices SET token_hash = ?2, hostname = ?3, "
                   "os_family = ?4, mde_state = ?5, facts = ?6, "
                   "last_seen_at = ?7, needs = ?8, needs_rules = ?9, "
                   "sense_guid_sha256 = ?10, host_identity_sha256 = ?11, "
                   "identity_reset_at = NULL, identity_reset_by = '', "
                   "identity_reset_reason = '' WHERE id = ?1"));
    upd->Bind(1, result.device_id);
    upd->Bind(2, token_hash);
    upd->Bind(3, facts.hostname());
    upd->Bind(4, static_cast<int64_t>(facts.os_family()));
    upd->Bind(5, static_cast<int64_t>(facts.mde_state()));
    upd->BindBlob(6, FactsBlob(facts));
    upd->Bind(7, now);
    BindDerived(*upd, 8, facts, mde_ids);
    upd->Bind(11, facts.host_identity_sha256());
    RETURN_IF_ERROR(upd->Run());
  }
  if (db.Changes() == 0) {
    return absl::NotFoundError(
        absl::StrCat("device_id: no device \"", device_id, "\""));
  }
  RETURN_IF_ERROR(ReplaceLabels(db, result.device_id, facts));
  ASSIGN_OR_RETURN(
      result.new_clone_of,
      DevicesWithSenseHash(db, facts.sense_guid_sha256(), result.device_id));
  return result;
}

absl::StatusOr<bool> StoredFactsMatch(Connection& db,
                                      absl::string_view device_id,
                                      const v1::DeviceFacts& facts,
                                      bool* sense_hash_changed) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT facts, sense_guid_sha256 FROM devices "
                              "WHERE id = ?1"));
  st->Bind(1, device_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("device_id: no device \"", device_id, "\""));
  }
  if (sense_hash_changed != nullptr) {
    *sense_hash_changed = st->ColumnText(1) != facts.sense_guid_sha256();
  }
  return st->ColumnBlob(0) == FactsBlob(facts);
}

absl::Status RecordSeen(
    Connection& db, absl::Span<const std::pair<std::string, int64_t>> seen) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("UPDATE devices SET last_seen_at = ?2 WHERE "
                              "id = ?1 AND last_seen_at < ?2"));
  for (const auto& [device_id, at] : seen) {
    st->Bind(1, device_id);
    st->Bind(2, at);
    RETURN_IF_ERROR(st->Run());
    st->Reset();
  }
  return absl::OkStatus();
}

absl::Status RefreshDevice(Connection& db, absl::string_view device_id,
                           const v1::DeviceFacts* facts, int64_t now,
                           std::vector<std::string>* new_clone_of) {
  bool facts_changed = false;
  bool sense_hash_changed = false;
  if (facts != nullptr) {
    ASSIGN_OR_RETURN(const bool same, StoredFactsMatch(db, device_id, *facts,
                                                       &sense_hash_changed));
    facts_changed = !same;
  }
  if (!facts_changed) {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("UPDATE devices SET last_seen_at = ?2 WHERE "
                                "id = ?1"));
    st->Bind(1, device_id);
    st->Bind(2, now);
    return st->Run();
  }
  ASSIGN_OR_RETURN(const std::vector<std::string> mde_ids,
                   GetMdeWorkspaceIds(db));
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE devices SET hostname = ?2, os_family = ?3, "
                   "mde_state = ?4, facts = ?5, last_seen_at = ?6, needs = ?7, "
                   "needs_rules = ?8, sense_guid_sha256 = ?9 WHERE id = ?1"));
    st->Bind(1, device_id);
    st->Bind(2, facts->hostname());
    st->Bind(3, static_cast<int64_t>(facts->os_family()));
    st->Bind(4, static_cast<int64_t>(facts->mde_state()));
    st->BindBlob(5, FactsBlob(*facts));
    st->Bind(6, now);
    BindDerived(*st, 7, *facts, mde_ids);
    RETURN_IF_ERROR(st->Run());
  }
  if (sense_hash_changed && new_clone_of != nullptr) {
    ASSIGN_OR_RETURN(
        *new_clone_of,
        DevicesWithSenseHash(db, facts->sense_guid_sha256(), device_id));
  }
  return ReplaceLabels(db, device_id, *facts);
}

namespace {

// Recomputes the needs of the devices whose mask is older than this
// version's rules, or of every device (`all`: a setting they depend on
// changed).
[[nodiscard]] absl::StatusOr<int64_t> RecomputeNeeds(Connection& db, bool all) {
  ASSIGN_OR_RETURN(const std::vector<std::string> mde_ids,
                   GetMdeWorkspaceIds(db));
  std::vector<std::pair<std::string, v1::DeviceFacts>> stale;
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("SELECT id, facts FROM devices WHERE "
                                "needs_rules < ?1 OR ?2"));
    st->Bind(1, static_cast<int64_t>(kNeedRulesVersion));
    st->Bind(2, int64_t{all ? 1 : 0});
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      v1::DeviceFacts facts;
      if (!facts.ParseFromString(st->ColumnBlob(1))) {
        return absl::DataLossError(
            absl::StrCat("device ", st->ColumnText(0), ": unreadable facts"));
      }
      stale.emplace_back(st->ColumnText(0), std::move(facts));
    }
  }
  for (const auto& [id, facts] : stale) {
    RETURN_IF_ERROR(StoreDerived(db, id, facts, mde_ids));
  }
  return static_cast<int64_t>(stale.size());
}

}  // namespace

absl::StatusOr<int64_t> RecomputeStaleNeeds(Connection& db) {
  return RecomputeNeeds(db, /*all=*/false);
}

absl::StatusOr<int64_t> RecomputeAllNeeds(Connection& db) {
  return RecomputeNeeds(db, /*all=*/true);
}

absl::StatusOr<std::optional<DeviceRow>> GetDevice(
    Connection& db, absl::string_view device_id) {
  // Keyed by pointer in the statement cache: the string must live forever.
  static const auto* sqlite = new std::string(
      absl::StrCat(SelectColumns(SqlDialect::kSqlite), " WHERE d.id = ?1"));
  static const auto* postgres = new std::string(
      absl::StrCat(SelectColumns(SqlDialect::kPostgres), " WHERE d.id = ?1"));
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare(db.dialect() == SqlDialect::kSqlite ? sqlite->c_str()
                                                     : postgres->c_str()));
  st->Bind(1, device_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  ASSIGN_OR_RETURN(DeviceRow device, ReadRow(*st));
  return device;
}

absl::StatusOr<std::vector<DeviceRow>> QueryDevices(Connection& db,
                                                    const DeviceQuery& query) {
  std::vector<Param> params;
  std::string sql =
      absl::StrCat(SelectColumns(db.dialect()), " WHERE ",
                   WhereClause(db.dialect(), query, params, true),
                   db.dialect() == SqlDialect::kSqlite
                       ? " ORDER BY d.hostname COLLATE NOCASE, d.id"
                       : " ORDER BY lower(d.hostname), d.id");
  if (query.limit >= 0) absl::StrAppend(&sql, " LIMIT ", query.limit);
  ASSIGN_OR_RETURN(std::unique_ptr<Statement> st, db.PrepareOnce(sql));
  BindAll(*st, params);
  std::vector<DeviceRow> rows;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(DeviceRow device, ReadRow(*st));
    rows.push_back(std::move(device));
  }
  return rows;
}

absl::StatusOr<int64_t> CountDevices(Connection& db, const DeviceQuery& query) {
  std::vector<Param> params;
  std::string sql =
      absl::StrCat("SELECT count(*) FROM devices d WHERE ",
                   WhereClause(db.dialect(), query, params, false));
  ASSIGN_OR_RETURN(std::unique_ptr<Statement> st, db.PrepareOnce(sql));
  BindAll(*st, params);
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

}  // namespace mdefleet::store

#include "server/store/devices.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace mdefleet::store {
namespace {

// A bound parameter: an integer or a text.
struct Param {
  Param(int64_t v) : is_int(true), i(v) {}   // NOLINT: implicit on purpose
  Param(std::string v) : s(std::move(v)) {}  // NOLINT
  bool is_int = false;
  int64_t i = 0;
  std::string s;
};

absl::Status ReplaceLabels(Connection& db, absl::string_view device_id,
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

// WHERE clause (without "WHERE") and its parameters for a query.
std::string WhereClause(const DeviceQuery& q, std::vector<Param>& params,
                        bool with_paging) {
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
        absl::StrCat("mdf_glob(", add(q.hostname_glob), ", d.hostname)"));
  }
  if (with_paging && q.after) {
    std::string h = add(q.after->first);
    std::string i = add(q.after->second);
    terms.push_back(absl::StrCat("(d.hostname COLLATE NOCASE > ", h,
                                 " OR (d.hostname COLLATE NOCASE = ", h,
                                 " AND d.id > ", i, "))"));
  }
  return terms.empty() ? "1" : absl::StrJoin(terms, " AND ");
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

absl::StatusOr<DeviceRow> ReadRow(const Statement& st) {
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
  return row;
}

constexpr char kSelectColumns[] =
    "SELECT d.id, d.facts, d.os_family, d.mde_state, d.enrolled_at, "
    "d.last_seen_at FROM devices d";

}  // namespace

absl::StatusOr<EnrollResult> EnrollDevice(Connection& db,
                                          const v1::DeviceFacts& facts,
                                          absl::string_view token_hash,
                                          absl::string_view new_id,
                                          int64_t now) {
  EnrollResult result;
  {
    ASSIGN_OR_RETURN(
        CachedStatement find,
        db.Prepare("SELECT id FROM devices WHERE host_identity = ?1"));
    find->Bind(1, facts.host_identity());
    ASSIGN_OR_RETURN(bool row, find->Step());
    if (row) result.device_id = find->ColumnText(0);
  }
  const std::string blob = facts.SerializeAsString();
  if (result.device_id.empty()) {
    result.device_id = std::string(new_id);
    result.new_device = true;
    ASSIGN_OR_RETURN(
        CachedStatement ins,
        db.Prepare(
            "INSERT INTO devices (id, token_hash, host_identity, "
            "hostname, os_family, mde_state, facts, enrolled_at, "
            "last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"));
    ins->Bind(1, result.device_id);
    ins->Bind(2, token_hash);
    ins->Bind(3, facts.host_identity());
    ins->Bind(4, facts.hostname());
    ins->Bind(5, static_cast<int64_t>(facts.os_family()));
    ins->Bind(6, static_cast<int64_t>(facts.mde_state()));
    ins->BindBlob(7, blob);
    ins->Bind(8, now);
    RETURN_IF_ERROR(ins->Run());
  } else {
    ASSIGN_OR_RETURN(
        CachedStatement upd,
        db.Prepare("UPDATE devices SET token_hash = ?2, hostname = ?3, "
                   "os_family = ?4, mde_state = ?5, facts = ?6, "
                   "last_seen_at = ?7 WHERE id = ?1"));
    upd->Bind(1, result.device_id);
    upd->Bind(2, token_hash);
    upd->Bind(3, facts.hostname());
    upd->Bind(4, static_cast<int64_t>(facts.os_family()));
    upd->Bind(5, static_cast<int64_t>(facts.mde_state()));
    upd->BindBlob(6, blob);
    upd->Bind(7, now);
    RETURN_IF_ERROR(upd->Run());
  }
  RETURN_IF_ERROR(ReplaceLabels(db, result.device_id, facts));
  return result;
}

absl::StatusOr<std::optional<std::string>> DeviceIdForToken(
    Connection& db, absl::string_view token_hash) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT id FROM devices WHERE token_hash = ?1"));
  st->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  return st->ColumnText(0);
}

absl::Status RefreshDevice(Connection& db, absl::string_view device_id,
                           const v1::DeviceFacts* facts, int64_t now) {
  bool facts_changed = false;
  std::string blob;
  if (facts != nullptr) {
    blob = facts->SerializeAsString();
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("SELECT facts FROM devices WHERE id = ?1"));
    st->Bind(1, device_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) {
      return absl::NotFoundError(
          absl::StrCat("device_id: no device \"", device_id, "\""));
    }
    facts_changed = st->ColumnBlob(0) != blob;
  }
  if (!facts_changed) {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("UPDATE devices SET last_seen_at = ?2 WHERE "
                                "id = ?1"));
    st->Bind(1, device_id);
    st->Bind(2, now);
    return st->Run();
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE devices SET hostname = ?2, os_family = ?3, "
                   "mde_state = ?4, facts = ?5, last_seen_at = ?6 WHERE "
                   "id = ?1"));
    st->Bind(1, device_id);
    st->Bind(2, facts->hostname());
    st->Bind(3, static_cast<int64_t>(facts->os_family()));
    st->Bind(4, static_cast<int64_t>(facts->mde_state()));
    st->BindBlob(5, blob);
    st->Bind(6, now);
    RETURN_IF_ERROR(st->Run());
  }
  return ReplaceLabels(db, device_id, *facts);
}

absl::StatusOr<std::optional<DeviceRow>> GetDevice(
    Connection& db, absl::string_view device_id) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare(
          "SELECT d.id, d.facts, d.os_family, d.mde_state, "
          "d.enrolled_at, d.last_seen_at FROM devices d WHERE d.id = ?1"));
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
      absl::StrCat(kSelectColumns, " WHERE ", WhereClause(query, params, true),
                   " ORDER BY d.hostname COLLATE NOCASE, d.id");
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
  std::string sql = absl::StrCat("SELECT count(*) FROM devices d WHERE ",
                                 WhereClause(query, params, false));
  ASSIGN_OR_RETURN(std::unique_ptr<Statement> st, db.PrepareOnce(sql));
  BindAll(*st, params);
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->ColumnInt(0) : 0;
}

}  // namespace mdefleet::store

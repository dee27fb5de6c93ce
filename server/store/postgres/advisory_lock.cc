#include "server/store/postgres/advisory_lock.h"

#include "common/status_macros.h"

namespace mdefleet::store::postgres {

absl::StatusOr<bool> AdvisoryLock::TryAcquire() {
  if (conn_ != nullptr && PQstatus(conn_->raw()) != CONNECTION_OK) {
    conn_.reset();
  }
  if (conn_ == nullptr) {
    held_ = false;
    ASSIGN_OR_RETURN(conn_, PgConnection::Open(url_));
  }
  if (held_) return StillHeld();
  ASSIGN_OR_RETURN(CachedStatement st,
                   conn_->Prepare("SELECT pg_try_advisory_lock(?1)"));
  st->Bind(1, key_);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) {
    conn_.reset();
    return row.status();
  }
  held_ = *row && st->ColumnInt(0) != 0;
  return held_;
}

bool AdvisoryLock::StillHeld() {
  if (conn_ == nullptr || !held_) return false;
  // The lock is the session's: held while the session lives. A query proves
  // the session is still there, and the count that this session holds it.
  absl::StatusOr<CachedStatement> st = conn_->Prepare(
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = "
      "pg_backend_pid() AND granted AND ((classid::bigint << 32) | "
      "objid::bigint) = ?1");
  if (!st.ok()) {
    conn_.reset();
    held_ = false;
    return false;
  }
  (*st)->Bind(1, key_);
  absl::StatusOr<bool> row = (*st)->Step();
  if (!row.ok() || !*row || (*st)->ColumnInt(0) == 0) {
    conn_.reset();
    held_ = false;
    return false;
  }
  return true;
}

}  // namespace mdefleet::store::postgres

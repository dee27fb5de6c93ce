#include "server/service/stream_slots.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mdefleet::service {

StreamSlots::Slot::~Slot() {
  if (slots_ != nullptr) slots_->Release(key_);
}

absl::StatusOr<StreamSlots::Slot> StreamSlots::Acquire(absl::string_view key,
                                                       absl::string_view who) {
  absl::MutexLock lock(&mu_);
  if (limits_.total > 0 && open_ >= limits_.total) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what_, ": the server already serves ", open_, " ", what_,
                     " streams, its limit (mdefleet-server serve ", total_flag_,
                     "); retry when one ends"));
  }
  int64_t& mine = open_by_key_[key];
  if (limits_.per_credential > 0 && mine >= limits_.per_credential) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what_, ": ", who, " already has ", mine, " open ", what_,
        " streams, the limit per credential (mdefleet-server serve ", per_flag_,
        "); close one first"));
  }
  ++mine;
  ++open_;
  return Slot(this, std::string(key));
}

int64_t StreamSlots::open() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

void StreamSlots::Release(const std::string& key) {
  absl::MutexLock lock(&mu_);
  --open_;
  auto it = open_by_key_.find(key);
  if (it != open_by_key_.end() && --it->second <= 0) open_by_key_.erase(it);
}

}  // namespace mdefleet::service

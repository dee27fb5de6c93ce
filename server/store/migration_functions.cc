#include "server/store/migration_functions.h"

#include <string>

#include "absl/strings/string_view.h"
#include "common/sha256.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::store {
namespace {

absl::string_view TextArg(sqlite3_value* value) {
  const unsigned char* text = sqlite3_value_text(value);
  if (text == nullptr) return {};
  return absl::string_view(reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_value_bytes(value)));
}

void Sha256HexFunction(sqlite3_context* ctx, int /*argc*/,
                       sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const std::string hex = Sha256Hex(TextArg(argv[0]));
  sqlite3_result_text(ctx, hex.data(), static_cast<int>(hex.size()),
                      SQLITE_TRANSIENT);
}

void FactsWithHostIdentityHash(sqlite3_context* ctx, int /*argc*/,
                               sqlite3_value** argv) {
  const void* blob = sqlite3_value_blob(argv[0]);
  const int size = sqlite3_value_bytes(argv[0]);
  v1::DeviceFacts facts;
  if (size > 0 && !facts.ParseFromArray(blob, size)) {
    sqlite3_result_error(ctx, "devices.facts: unreadable DeviceFacts", -1);
    return;
  }
  facts.clear_host_identity();
  facts.set_host_identity_sha256(std::string(TextArg(argv[1])));
  const std::string out = facts.SerializeAsString();
  sqlite3_result_blob(ctx, out.data(), static_cast<int>(out.size()),
                      SQLITE_TRANSIENT);
}

}  // namespace

absl::Status RegisterMigrationFunctions(SqliteConnection& db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  if (sqlite3_create_function_v2(db.raw(), "mdf_sha256_hex", 1, kFlags, nullptr,
                                 &Sha256HexFunction, nullptr, nullptr,
                                 nullptr) != SQLITE_OK) {
    return db.LastError("register mdf_sha256_hex");
  }
  if (sqlite3_create_function_v2(
          db.raw(), "mdf_facts_with_host_identity_sha256", 2, kFlags, nullptr,
          &FactsWithHostIdentityHash, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return db.LastError("register mdf_facts_with_host_identity_sha256");
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::store

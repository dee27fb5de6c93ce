#include "runner/host/windows/secrets.h"

#include <windows.h>
// windows.h first: this needs its types.
#include <wincrypt.h>

#include "absl/strings/str_cat.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::win {
namespace {

// Binds blobs to this purpose: another program using machine-scope DPAPI
// without it cannot decrypt them by accident.
constexpr absl::string_view kEntropy = "mdefleet-runner/secret/v1";

DATA_BLOB Blob(absl::string_view data) {
  DATA_BLOB blob;
  blob.cbData = static_cast<DWORD>(data.size());
  // DPAPI does not write through pbData of its inputs.
  blob.pbData = reinterpret_cast<BYTE*>(const_cast<char*>(data.data()));
  return blob;
}

[[nodiscard]] absl::Status CheckSize(absl::string_view data) {
  if (data.size() > MAXDWORD / 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret of ", data.size(), " bytes is too large"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ProtectForMachine(absl::string_view plaintext) {
  if (absl::Status s = CheckSize(plaintext); !s.ok()) return s;
  DATA_BLOB in = Blob(plaintext);
  DATA_BLOB entropy = Blob(kEntropy);
  DATA_BLOB out = {};
  if (!CryptProtectData(&in, L"mdefleet-runner", &entropy, nullptr, nullptr,
                        CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN,
                        &out)) {
    absl::Status status = LastErrorStatus("cannot protect the secret (DPAPI)");
    return absl::InternalError(status.message());
  }
  UniqueLocal<BYTE> owned(out.pbData);
  return std::string(reinterpret_cast<const char*>(out.pbData), out.cbData);
}

absl::StatusOr<std::string> UnprotectForMachine(
    absl::string_view protected_data) {
  if (absl::Status s = CheckSize(protected_data); !s.ok()) return s;
  DATA_BLOB in = Blob(protected_data);
  DATA_BLOB entropy = Blob(kEntropy);
  DATA_BLOB out = {};
  if (!CryptUnprotectData(&in, nullptr, &entropy, nullptr, nullptr,
                          CRYPTPROTECT_UI_FORBIDDEN, &out)) {
    absl::Status status = LastErrorStatus(
        "protected secret was not made on this machine or was altered "
        "(DPAPI)");
    return absl::DataLossError(status.message());
  }
  UniqueLocal<BYTE> owned(out.pbData);
  std::string plaintext(reinterpret_cast<const char*>(out.pbData), out.cbData);
  // Do not leave the secret behind in freed memory.
  SecureZeroMemory(out.pbData, out.cbData);
  return plaintext;
}

}  // namespace mdefleet::runner::win

// SHA-256 through Windows CNG (BCrypt), so the Windows runner needs no
// OpenSSL.
// clang-format off
#include <windows.h>
#include <bcrypt.h>
// clang-format on

#include <array>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "common/sha256.h"

namespace mdefleet {
namespace {

constexpr ULONG kDigestBytes = 32;

// A failing CNG call on a valid handle means a broken system; hashing must
// not silently produce a wrong digest.
void Check(NTSTATUS status) {
  if (!BCRYPT_SUCCESS(status)) std::abort();
}

}  // namespace

struct Sha256::State {
  BCRYPT_ALG_HANDLE algorithm = nullptr;
  BCRYPT_HASH_HANDLE hash = nullptr;
  ~State() {
    if (hash != nullptr) BCryptDestroyHash(hash);
    if (algorithm != nullptr) BCryptCloseAlgorithmProvider(algorithm, 0);
  }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  Check(BCryptOpenAlgorithmProvider(&state_->algorithm, BCRYPT_SHA256_ALGORITHM,
                                    nullptr, 0));
  Check(BCryptCreateHash(state_->algorithm, &state_->hash, nullptr, 0, nullptr,
                         0, 0));
}

Sha256::~Sha256() = default;

void Sha256::Update(absl::string_view data) {
  // BCryptHashData takes a ULONG length: feed large inputs in slices.
  constexpr size_t kSlice = 1 << 30;
  while (!data.empty()) {
    const size_t n = data.size() < kSlice ? data.size() : kSlice;
    Check(BCryptHashData(
        state_->hash,
        reinterpret_cast<PUCHAR>(const_cast<char*>(data.data())),
        static_cast<ULONG>(n), 0));
    data.remove_prefix(n);
  }
}

std::string Sha256::FinishHex() {
  std::array<unsigned char, kDigestBytes> digest{};
  Check(BCryptFinishHash(state_->hash, digest.data(), kDigestBytes, 0));
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace mdefleet

#include "runner/host/windows/wide_string.h"

#include <windows.h>

#include <climits>

#include "absl/strings/str_cat.h"

namespace mdefleet::runner::win {
namespace {

// The conversion APIs count in int; longer input is converted in pieces cut
// where no character spans the cut.
constexpr size_t kMaxChunk = INT_MAX / 4;

std::wstring MultiByteToWide(absl::string_view bytes, UINT code_page) {
  std::wstring out;
  while (!bytes.empty()) {
    size_t take = bytes.size();
    if (take > kMaxChunk) {
      take = kMaxChunk;
      // Do not split a UTF-8 sequence (continuation bytes are 10xxxxxx).
      while (code_page == CP_UTF8 && take > 0 &&
             (static_cast<unsigned char>(bytes[take]) & 0xC0) == 0x80) {
        --take;
      }
      if (take == 0) take = kMaxChunk;  // not UTF-8 anyway
    }
    const int in_len = static_cast<int>(take);
    const int n =
        MultiByteToWideChar(code_page, 0, bytes.data(), in_len, nullptr, 0);
    if (n > 0) {
      const size_t at = out.size();
      out.resize(at + static_cast<size_t>(n));
      MultiByteToWideChar(code_page, 0, bytes.data(), in_len, out.data() + at,
                          n);
    }
    bytes.remove_prefix(take);
  }
  return out;
}

}  // namespace

std::wstring Utf8ToWide(absl::string_view utf8) {
  return MultiByteToWide(utf8, CP_UTF8);
}

std::string WideToUtf8(std::wstring_view wide) {
  std::string out;
  while (!wide.empty()) {
    size_t take = wide.size();
    if (take > kMaxChunk) {
      take = kMaxChunk;
      // Keep a surrogate pair together.
      if (wide[take - 1] >= 0xD800 && wide[take - 1] <= 0xDBFF) --take;
    }
    const int in_len = static_cast<int>(take);
    const int n = WideCharToMultiByte(CP_UTF8, 0, wide.data(), in_len, nullptr,
                                      0, nullptr, nullptr);
    if (n > 0) {
      const size_t at = out.size();
      out.resize(at + static_cast<size_t>(n));
      WideCharToMultiByte(CP_UTF8, 0, wide.data(), in_len, out.data() + at, n,
                          nullptr, nullptr);
    }
    wide.remove_prefix(take);
  }
  return out;
}

std::string CodePageToUtf8(absl::string_view bytes, unsigned code_page) {
  return WideToUtf8(MultiByteToWide(bytes, code_page));
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > text.size()) return false;
    for (size_t j = 1; j < len; ++j) {
      const auto cc = static_cast<unsigned char>(text[i + j]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

absl::Status CheckNoNul(absl::string_view text, absl::string_view what) {
  if (text.find('\0') == absl::string_view::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " contains a NUL character"));
}

}  // namespace mdefleet::runner::win

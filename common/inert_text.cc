#include "common/inert_text.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mdefleet {
namespace {

// One decoded UTF-8 sequence: the code point and its length in bytes, or
// `valid` false for a byte that does not start a well-formed sequence
// (length 1: that byte alone is shown escaped).
struct Decoded {
  bool valid = false;
  char32_t code_point = 0;
  size_t length = 1;
};

bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Strict UTF-8 (RFC 3629, Unicode table 3-7): no overlong forms, no
// surrogates, nothing above U+10FFFF.
Decoded DecodeAt(absl::string_view text, size_t i) {
  Decoded d;
  const auto byte = [&](size_t k) {
    return static_cast<unsigned char>(text[i + k]);
  };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    d.valid = true;
    d.code_point = b0;
    return d;
  }
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // bounds of the second byte
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return d;
  }
  if (i + length > text.size()) return d;
  const unsigned char b1 = byte(1);
  if (b1 < low || b1 > high) return d;
  cp = (cp << 6) | (b1 & 0x3F);
  for (size_t k = 2; k < length; ++k) {
    if (!IsContinuation(byte(k))) return d;
    cp = (cp << 6) | (byte(k) & 0x3F);
  }
  d.valid = true;
  d.code_point = cp;
  d.length = length;
  return d;
}

bool IsBidiFormatting(char32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

std::string EscapeC0(char32_t cp) {
  switch (cp) {
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return absl::StrFormat("\\x%02x", static_cast<unsigned>(cp));
  }
}

std::string EscapeCodePoint(char32_t cp) {
  if (cp < 0x80) return EscapeC0(cp);
  return absl::StrFormat("\\u%04x", static_cast<unsigned>(cp));
}

std::string Kind(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F) return "control character";
  if (cp >= 0x80 && cp <= 0x9F) return "C1 control character";
  if (cp == 0x2028 || cp == 0x2029) return "line or paragraph separator";
  return "bidirectional formatting character";
}

}  // namespace

bool IsRefusedFormatCharacter(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         IsBidiFormatting(cp);
}

bool IsInertEscaped(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || IsRefusedFormatCharacter(cp);
}

std::string InertText(absl::string_view text, InertLayout layout) {
  std::string out;
  out.reserve(text.size());
  const bool block = layout == InertLayout::kBlock;
  size_t i = 0;
  while (i < text.size()) {
    const Decoded d = DecodeAt(text, i);
    if (!d.valid) {
      absl::StrAppend(
          &out,
          absl::StrFormat("\\x%02x", static_cast<unsigned>(
                                         static_cast<unsigned char>(text[i]))));
      ++i;
      continue;
    }
    const char32_t cp = d.code_point;
    if (block && (cp == '\n' || cp == '\t')) {
      out.push_back(static_cast<char>(cp));
    } else if (block && cp == '\r' && i + 1 < text.size() &&
               text[i + 1] == '\n') {
      // CR LF (Windows output) is a line end: shown as LF alone.
    } else if (IsInertEscaped(cp)) {
      out.append(EscapeCodePoint(cp));
    } else {
      out.append(text.data() + i, d.length);
    }
    i += d.length;
  }
  return out;
}

std::optional<std::string> FirstRefusedCharacter(absl::string_view text,
                                                 bool allow_line_breaks) {
  size_t i = 0;
  while (i < text.size()) {
    const Decoded d = DecodeAt(text, i);
    if (!d.valid) {
      return absl::StrFormat(
          "byte \\x%02x (not UTF-8) at byte %d",
          static_cast<unsigned>(static_cast<unsigned char>(text[i])), i);
    }
    const char32_t cp = d.code_point;
    const bool line_break = cp == '\n' || cp == '\r' || cp == '\t';
    if (IsInertEscaped(cp) && !(allow_line_breaks && line_break)) {
      return absl::StrCat(EscapeCodePoint(cp), " (", Kind(cp), ") at byte ", i);
    }
    i += d.length;
  }
  return std::nullopt;
}

std::string InertJson(std::string json) {
  // Fast path: DEL and every refused character need a byte >= 0x7F; most
  // documents hold none.
  bool any = false;
  for (char c : json) {
    if (static_cast<unsigned char>(c) >= 0x7F) {
      any = true;
      break;
    }
  }
  if (!any) return json;
  std::string out;
  out.reserve(json.size());
  size_t i = 0;
  while (i < json.size()) {
    const Decoded d = DecodeAt(json, i);
    if (d.valid &&
        (d.code_point == 0x7F || IsRefusedFormatCharacter(d.code_point))) {
      absl::StrAppend(
          &out,
          absl::StrFormat("\\u%04x", static_cast<unsigned>(d.code_point)));
    } else {
      out.append(json, i, d.length);
    }
    i += d.length;
  }
  return out;
}

}  // namespace mdefleet

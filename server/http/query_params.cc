#include "server/http/query_params.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/duration_text.h"

namespace mdefleet::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form decoding: "%41" -> "A", "+" -> " ". Nullopt for a bad escape.
std::optional<std::string> Decode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] != '%') {
      out.push_back(text[i]);
    } else {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return out;
}

}  // namespace

std::string Quote(absl::string_view text) {
  std::string escaped = absl::CEscape(text.substr(0, kMaxQuoted));
  if (text.size() > kMaxQuoted) absl::StrAppend(&escaped, "...");
  return escaped;
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    int extra = 0;
    uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF.
    if ((extra == 2 && code < 0x800) || (extra == 3 && code < 0x10000) ||
        (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

absl::StatusOr<QueryParams> QueryParams::Parse(absl::string_view query) {
  QueryParams params;
  for (absl::string_view piece : absl::StrSplit(query, '&')) {
    if (piece.empty()) continue;  // "a=1&&b=2", a trailing '&'
    std::pair<absl::string_view, absl::string_view> raw =
        absl::StrSplit(piece, absl::MaxSplits('=', 1));
    std::optional<std::string> name = Decode(raw.first);
    if (!name.has_value() || !IsValidUtf8(*name) ||
        std::any_of(name->begin(), name->end(), [](char c) {
          return absl::ascii_iscntrl(static_cast<unsigned char>(c));
        })) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query: malformed parameter name \"", Quote(raw.first), "\""));
    }
    if (name->empty()) {
      return absl::InvalidArgumentError(
          "query: a parameter without a name (expected name=value)");
    }
    std::optional<std::string> value = Decode(raw.second);
    if (!value.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(*name), ": malformed percent-escape"));
    }
    if (!IsValidUtf8(*value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(*name), ": not valid UTF-8"));
    }
    if (std::any_of(value->begin(), value->end(), [](char c) {
          return absl::ascii_iscntrl(static_cast<unsigned char>(c));
        })) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(*name), ": control characters are not allowed"));
    }
    if (!params.values_.emplace(*name, *std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(*name), ": given more than once"));
    }
  }
  return params;
}

absl::Status QueryParams::AllowOnly(
    std::initializer_list<absl::string_view> allowed) const {
  for (const auto& [name, value] : values_) {
    bool known = false;
    for (absl::string_view candidate : allowed) known |= candidate == name;
    if (known) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown parameter \"", Quote(name), "\"",
        allowed.size() == 0 ? " (this route takes none)"
                            : absl::StrCat(" (this route takes ",
                                           absl::StrJoin(allowed, ", "), ")")));
  }
  return absl::OkStatus();
}

std::optional<std::string> QueryParams::Get(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<google::protobuf::Duration> ParseDurationParam(
    absl::string_view name, absl::string_view value) {
  if (value.size() > kMaxQuoted) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": too long for a duration"));
  }
  absl::StatusOr<absl::Duration> parsed = ParseDurationText(value, name);
  if (!parsed.ok()) return parsed.status();
  return ToProtoDuration(*parsed);
}

absl::StatusOr<uint32_t> ParseCountParam(absl::string_view name,
                                         absl::string_view value,
                                         uint32_t max) {
  uint64_t count = 0;
  const bool digits = !value.empty() && value.size() <= 10 &&
                      std::all_of(value.begin(), value.end(), [](char c) {
                        return absl::ascii_isdigit(c);
                      });
  if (!digits || !absl::SimpleAtoi(value, &count) || count == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": expected a number from 1 to ", max, ", got \"",
                     Quote(value), "\""));
  }
  if (count > max) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": at most ", max));
  }
  return static_cast<uint32_t>(count);
}

}  // namespace mdefleet::http

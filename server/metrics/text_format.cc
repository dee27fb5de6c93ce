#include "server/metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace mdefleet::metrics {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF); 0 if none.
size_t Utf8SequenceLength(absl::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return n;
}

std::string Escape(absl::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const char c = text.front();
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      const size_t n = Utf8SequenceLength(text);
      if (n == 0) {
        out += kReplacement;
        text.remove_prefix(1);
        continue;
      }
      out.append(text.data(), n);
      text.remove_prefix(n);
      continue;
    }
    text.remove_prefix(1);
  }
  return out;
}

void AppendLabels(const Labels& labels, const char* le, std::string& out) {
  if (labels.empty() && le == nullptr) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    absl::StrAppend(&out, name, "=\"", EscapeLabelValue(value), "\"");
  }
  if (le != nullptr) {
    if (!first) out += ',';
    absl::StrAppend(&out, "le=\"", le, "\"");
  }
  out += '}';
}

void AppendLine(absl::string_view name, absl::string_view suffix,
                const Labels& labels, const char* le, double value,
                std::string& out) {
  absl::StrAppend(&out, name, suffix);
  AppendLabels(labels, le, out);
  absl::StrAppend(&out, " ", FormatValue(value), "\n");
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Exactly representable whole numbers print as integers (and -0 as 0).
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buffer[32];
  const std::to_chars_result r =
      std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, r.ptr);
}

std::string EscapeLabelValue(absl::string_view value) {
  return Escape(value, /*quote=*/true);
}

std::string EscapeHelp(absl::string_view help) {
  return Escape(help, /*quote=*/false);
}

void AppendFamily(const FamilySnapshot& family, std::string& out) {
  absl::StrAppend(&out, "# HELP ", family.name, " ", EscapeHelp(family.help),
                  "\n# TYPE ", family.name, " ", TypeName(family.type), "\n");
  if (family.type != MetricType::kHistogram) {
    for (const Sample& s : family.samples) {
      AppendLine(family.name, "", s.labels, nullptr, s.value, out);
    }
    return;
  }
  for (const HistogramSample& h : family.histograms) {
    for (const auto& [bound, count] : h.buckets) {
      const std::string le = FormatValue(bound);
      AppendLine(family.name, "_bucket", h.labels, le.c_str(),
                 static_cast<double>(count), out);
    }
    AppendLine(family.name, "_bucket", h.labels, "+Inf",
               static_cast<double>(h.count), out);
    AppendLine(family.name, "_sum", h.labels, nullptr, h.sum, out);
    AppendLine(family.name, "_count", h.labels, nullptr,
               static_cast<double>(h.count), out);
  }
}

std::string WriteTextFormat(const std::vector<FamilySnapshot>& families) {
  std::string out;
  for (const FamilySnapshot& family : families) AppendFamily(family, out);
  return out;
}

}  // namespace mdefleet::metrics

#include "tests/server/metrics/exposition_parser.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mdefleet::testing {
namespace {

bool IsMetricName(absl::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const bool ok = absl::ascii_isalpha(c) || c == '_' || c == ':' ||
                    (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsLabelName(absl::string_view s) {
  if (s.empty() || absl::StartsWith(s, "__")) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const bool ok =
        absl::ascii_isalpha(c) || c == '_' || (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

// Well-formed UTF-8 per RFC 3629, written independently of the writer's.
bool IsUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    unsigned int cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const unsigned int min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

// Decimal float ([+-]digits[.digits][e[+-]digits]) or +Inf, -Inf, NaN.
std::optional<double> ParseValue(absl::string_view s) {
  if (s == "+Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  if (s == "NaN") return std::nan("");
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() &&
         absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
    ++i;
    ++digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      ++digits;
    }
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      ++exp_digits;
    }
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}

class Parser {
 public:
  absl::StatusOr<Exposition> Run(absl::string_view text);

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("line ", line_, ": ", what));
  }
  // Makes `name` the current family: refused when its lines appeared
  // before, separated from here by another family's.
  absl::StatusOr<ParsedFamily*> Enter(const std::string& name);
  absl::Status Comment(absl::string_view line);
  absl::Status SampleLine(absl::string_view line);
  // The family a sample name belongs to, given the families declared.
  std::string FamilyOf(const std::string& sample) const;
  absl::Status CheckHistogram(const ParsedFamily& family) const;

  Exposition out_;
  std::map<std::string, size_t> index_;  // family name -> out_.families
  std::string current_;
  std::set<std::string> series_;  // name + sorted labels
  std::map<std::string, int> family_line_;
  int line_ = 0;
};

absl::StatusOr<ParsedFamily*> Parser::Enter(const std::string& name) {
  auto it = index_.find(name);
  if (it == index_.end()) {
    index_[name] = out_.families.size();
    out_.families.push_back({});
    out_.families.back().name = name;
    current_ = name;
    family_line_[name] = line_;
    return &out_.families.back();
  }
  if (current_ != name) {
    return Error(absl::StrCat("lines of family ", name,
                              " are interleaved with another family's "
                              "(first seen on line ",
                              family_line_[name], ")"));
  }
  return &out_.families[it->second];
}

absl::Status Parser::Comment(absl::string_view line) {
  const bool help = absl::StartsWith(line, "# HELP ");
  const bool type = absl::StartsWith(line, "# TYPE ");
  if (!help && !type) return absl::OkStatus();  // a plain comment
  absl::string_view rest = line.substr(7);
  const size_t space = rest.find(' ');
  const std::string name(rest.substr(0, space));
  if (!IsMetricName(name)) {
    return Error(absl::StrCat("bad metric name \"", name, "\""));
  }
  absl::string_view arg =
      space == absl::string_view::npos ? "" : rest.substr(space + 1);
  absl::StatusOr<ParsedFamily*> family = Enter(name);
  if (!family.ok()) return family.status();
  ParsedFamily& f = **family;
  if (help) {
    if (f.help.has_value())
      return Error(absl::StrCat("second HELP for ", name));
    std::string text;
    for (size_t i = 0; i < arg.size(); ++i) {
      if (arg[i] != '\\') {
        text += arg[i];
        continue;
      }
      if (i + 1 == arg.size()) return Error("HELP ends with a lone backslash");
      const char e = arg[++i];
      if (e == '\\') {
        text += '\\';
      } else if (e == 'n') {
        text += '\n';
      } else {
        return Error(absl::StrCat("HELP has the escape \\", std::string(1, e),
                                  " (only \\\\ and \\n are allowed)"));
      }
    }
    f.help = std::move(text);
    return absl::OkStatus();
  }
  if (f.type_given) return Error(absl::StrCat("second TYPE for ", name));
  if (!f.samples.empty()) {
    return Error(absl::StrCat("TYPE for ", name, " after its samples"));
  }
  static const std::set<std::string> kTypes = {"counter", "gauge", "histogram",
                                               "summary", "untyped"};
  if (kTypes.count(std::string(arg)) == 0) {
    return Error(absl::StrCat("unknown type \"", arg, "\""));
  }
  f.type = std::string(arg);
  f.type_given = true;
  return absl::OkStatus();
}

std::string Parser::FamilyOf(const std::string& sample) const {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    if (!absl::EndsWith(sample, suffix)) continue;
    const std::string base =
        sample.substr(0, sample.size() - std::string(suffix).size());
    auto it = index_.find(base);
    if (it == index_.end()) continue;
    const std::string& type = out_.families[it->second].type;
    if (type == "histogram" ||
        (type == "summary" && std::string(suffix) != "_bucket")) {
      return base;
    }
  }
  return sample;
}

absl::Status Parser::SampleLine(absl::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  ParsedSample sample;
  sample.name = std::string(line.substr(0, i));
  if (!IsMetricName(sample.name)) {
    return Error(absl::StrCat("bad metric name \"", sample.name, "\""));
  }
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      if (i >= line.size()) return Error("labels not closed");
      if (line[i] == '}') {
        ++i;
        break;
      }
      const size_t start = i;
      while (i < line.size() && line[i] != '=') ++i;
      const std::string label(line.substr(start, i - start));
      if (!IsLabelName(label)) {
        return Error(absl::StrCat("bad label name \"", label, "\""));
      }
      if (i + 1 >= line.size() || line[i + 1] != '"') {
        return Error(absl::StrCat("label ", label, ": value not quoted"));
      }
      i += 2;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c != '\\') {
          value += c;
          continue;
        }
        if (i >= line.size()) break;
        const char e = line[i++];
        if (e == '\\') {
          value += '\\';
        } else if (e == '"') {
          value += '"';
        } else if (e == 'n') {
          value += '\n';
        } else {
          return Error(absl::StrCat("label ", label, ": bad escape \\",
                                    std::string(1, e)));
        }
      }
      if (!closed)
        return Error(absl::StrCat("label ", label, ": unterminated"));
      if (!sample.labels.emplace(label, std::move(value)).second) {
        return Error(absl::StrCat("label ", label, " given twice"));
      }
      if (i >= line.size()) return Error("labels not closed");
      if (line[i] == ',') {
        ++i;
      } else if (line[i] != '}') {
        return Error(absl::StrCat("label ", label,
                                  ": unexpected character after its value "
                                  "(an unescaped quote?)"));
      }
    }
  }
  if (i >= line.size() || line[i] != ' ') return Error("no value");
  std::vector<absl::string_view> fields =
      absl::StrSplit(line.substr(i + 1), ' ');
  if (fields.empty() || fields.size() > 2) {
    return Error("expected a value and an optional timestamp");
  }
  for (absl::string_view f : fields) {
    if (f.empty()) return Error("stray blank");
  }
  std::optional<double> value = ParseValue(fields[0]);
  if (!value) return Error(absl::StrCat("bad value \"", fields[0], "\""));
  sample.value = *value;
  if (fields.size() == 2) {
    int64_t ts;
    if (!absl::SimpleAtoi(fields[1], &ts) || absl::StartsWith(fields[1], "+")) {
      return Error(absl::StrCat("bad timestamp \"", fields[1], "\""));
    }
    sample.timestamp_ms = ts;
  }

  const std::string family_name = FamilyOf(sample.name);
  absl::StatusOr<ParsedFamily*> family = Enter(family_name);
  if (!family.ok()) return family.status();
  ParsedFamily& f = **family;
  if (f.type == "histogram") {
    if (sample.name == f.name) {
      return Error(absl::StrCat("histogram ", f.name,
                                " has a sample without _bucket/_sum/_count"));
    }
    const bool bucket = absl::EndsWith(sample.name, "_bucket");
    if (bucket != (sample.labels.count("le") != 0)) {
      return Error(absl::StrCat(sample.name,
                                ": \"le\" belongs on _bucket "
                                "lines and only there"));
    }
    // Counts are never negative; the sum may be anything (observations
    // can be negative or NaN).
    if (!absl::EndsWith(sample.name, "_sum") && !(sample.value >= 0)) {
      return Error(absl::StrCat(sample.name, ": negative or NaN count"));
    }
  }
  if (f.type == "counter" && (sample.value < 0 || std::isnan(sample.value))) {
    return Error(absl::StrCat("counter ", f.name, " is negative or NaN"));
  }
  std::string key = sample.name;
  for (const auto& [k, v] : sample.labels) {
    absl::StrAppend(&key, "\x01", k, "\x02", v);  // map: sorted by name
  }
  if (!series_.insert(key).second) {
    return Error(absl::StrCat("duplicate series ", sample.name));
  }
  f.samples.push_back(std::move(sample));
  return absl::OkStatus();
}

absl::Status Parser::CheckHistogram(const ParsedFamily& f) const {
  struct Series {
    std::vector<std::pair<double, double>> buckets;  // (le, count) in order
    std::optional<double> sum, count;
  };
  std::map<std::map<std::string, std::string>, Series> by_labels;
  for (const ParsedSample& s : f.samples) {
    std::map<std::string, std::string> labels = s.labels;
    labels.erase("le");
    Series& series = by_labels[labels];
    if (absl::EndsWith(s.name, "_bucket")) {
      std::optional<double> le = ParseValue(s.labels.at("le"));
      if (!le || std::isnan(*le)) {
        return absl::InvalidArgumentError(
            absl::StrCat(f.name, ": bad le \"", s.labels.at("le"), "\""));
      }
      series.buckets.emplace_back(*le, s.value);
    } else if (absl::EndsWith(s.name, "_sum")) {
      series.sum = s.value;
    } else {
      series.count = s.value;
    }
  }
  for (const auto& [labels, series] : by_labels) {
    const std::string where = absl::StrCat(
        f.name, "{", absl::StrJoin(labels, ",", absl::PairFormatter("=")), "}");
    for (size_t k = 1; k < series.buckets.size(); ++k) {
      if (!(series.buckets[k - 1].first < series.buckets[k].first)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": le not in increasing order"));
      }
      if (series.buckets[k].second < series.buckets[k - 1].second) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": bucket counts not cumulative"));
      }
    }
    if (series.buckets.empty() || !std::isinf(series.buckets.back().first)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": no le=\"+Inf\" bucket"));
    }
    if (!series.sum) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": no _sum"));
    }
    if (!series.count) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": no _count"));
    }
    if (*series.count != series.buckets.back().second) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": _count ", *series.count, " differs from the +Inf bucket ",
          series.buckets.back().second));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Exposition> Parser::Run(absl::string_view text) {
  if (text.empty()) return out_;
  if (text.back() != '\n') {
    return absl::InvalidArgumentError("missing trailing newline");
  }
  if (!IsUtf8(text)) return absl::InvalidArgumentError("not valid UTF-8");
  text.remove_suffix(1);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_;
    if (line.empty()) continue;  // the format ignores empty lines
    absl::Status s = line[0] == '#' ? Comment(line) : SampleLine(line);
    if (!s.ok()) return s;
  }
  for (const ParsedFamily& f : out_.families) {
    if (f.type != "histogram") continue;
    if (absl::Status s = CheckHistogram(f); !s.ok()) return s;
  }
  return out_;
}

}  // namespace

const ParsedFamily* Exposition::Family(absl::string_view name) const {
  for (const ParsedFamily& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::optional<double> Exposition::Value(
    absl::string_view name,
    const std::map<std::string, std::string>& labels) const {
  for (const ParsedFamily& f : families) {
    for (const ParsedSample& s : f.samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
  }
  return std::nullopt;
}

absl::StatusOr<Exposition> ParseExposition(absl::string_view text) {
  return Parser().Run(text);
}

}  // namespace mdefleet::testing

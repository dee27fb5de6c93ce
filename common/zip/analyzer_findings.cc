#include "common/zip/analyzer_findings.h"

#include <expat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/client_analyzer.h"
#include "common/zip/zip_archive.h"

namespace mdefleet::zip {
namespace {

struct ParserFree {
  void operator()(XML_Parser parser) const { XML_ParserFree(parser); }
};
using UniqueParser = std::unique_ptr<XML_ParserStruct, ParserFree>;

// Removes <...> markup (the analyzer writes HTML inside its texts), folds
// whitespace, drops control characters and cuts to `max_bytes` on a UTF-8
// boundary.
std::string CleanText(absl::string_view text, size_t max_bytes) {
  std::string out;
  bool in_tag = false;
  bool space = false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '<') {
      in_tag = true;
      continue;
    }
    if (in_tag) {
      if (c == '>') {
        in_tag = false;
        space = true;
      }
      continue;
    }
    if (absl::ascii_isspace(u) || u < 0x20 || u == 0x7f) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    out.resize(cut);
    out.append("...");
  }
  return out;
}

struct Event {
  std::string id, severity, category, check, result;
};

class FindingsParser {
 public:
  void Start(const XML_Char* name, const XML_Char** attrs) {
    path_.emplace_back(name);
    if (depth() == 1) {
      root_ok_ = path_[0] == "MDEResults";
    } else if (depth() == 3 && path_[0] == "MDEResults" &&
               path_[1] == "events" && path_[2] == "event") {
      in_event_ = true;
      event_ = Event();
      for (int i = 0; attrs[i] != nullptr; i += 2) {
        if (std::string(attrs[i]) == "id") event_.id = attrs[i + 1];
      }
    }
    text_.clear();
  }

  void End() {
    if (in_event_ && depth() == 4) {
      const std::string& field = path_.back();
      if (text_.size() > kMaxRaw) text_.resize(kMaxRaw);
      if (field == "severity") event_.severity = text_;
      if (field == "category") event_.category = text_;
      if (field == "check") event_.check = text_;
      if (field == "checkresult") event_.result = text_;
    } else if (in_event_ && depth() == 3) {
      in_event_ = false;
      events_.push_back(std::move(event_));
    }
    path_.pop_back();
    text_.clear();
  }

  void Text(const XML_Char* s, int len) {
    if (in_event_ && depth() == 4 && text_.size() < kMaxRaw) {
      text_.append(s, static_cast<size_t>(len));
    }
  }

  bool root_ok() const { return root_ok_; }
  const std::vector<Event>& events() const { return events_; }

 private:
  static constexpr size_t kMaxRaw = 16384;
  size_t depth() const { return path_.size(); }

  std::vector<std::string> path_;
  bool root_ok_ = false;
  bool in_event_ = false;
  Event event_;
  std::string text_;
  std::vector<Event> events_;
};

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** attrs) {
  static_cast<FindingsParser*>(data)->Start(name, attrs);
}
void XMLCALL OnEnd(void* data, const XML_Char*) {
  static_cast<FindingsParser*>(data)->End();
}
void XMLCALL OnText(void* data, const XML_Char* s, int len) {
  static_cast<FindingsParser*>(data)->Text(s, len);
}

void Keep(const Event& e, v1::DiagnosticsSummary* summary) {
  const size_t max = client_analyzer::kMaxFindingText;
  v1::AnalyzerFinding* f = summary->add_findings();
  f->set_severity(CleanText(e.severity, max));
  f->set_id(CleanText(e.id, max));
  f->set_category(CleanText(e.category, max));
  f->set_check(CleanText(e.check, max));
  f->set_result(CleanText(e.result, max));
}

}  // namespace

absl::StatusOr<v1::DiagnosticsSummary> ParseAnalyzerFindings(
    absl::string_view xml) {
  UniqueParser parser(XML_ParserCreate(nullptr));
  if (parser == nullptr) return absl::ResourceExhaustedError("no XML parser");
  FindingsParser state;
  XML_SetUserData(parser.get(), &state);
  XML_SetElementHandler(parser.get(), OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser.get(), OnText);
  if (xml.size() > kMaxFindingsXmlBytes ||
      XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()),
                XML_TRUE) != XML_STATUS_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("MDEClientAnalyzer.xml: not well-formed XML at line ",
                     XML_GetCurrentLineNumber(parser.get()), " (",
                     XML_ErrorString(XML_GetErrorCode(parser.get())), ")"));
  }
  if (!state.root_ok()) {
    return absl::InvalidArgumentError(
        "MDEClientAnalyzer.xml: no <MDEResults> root element");
  }
  v1::DiagnosticsSummary summary;
  for (const Event& e : state.events()) {
    const std::string severity =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(e.severity));
    if (severity == "error") summary.set_errors(summary.errors() + 1);
    if (severity == "warning") summary.set_warnings(summary.warnings() + 1);
    if (severity == "informational") {
      summary.set_informational(summary.informational() + 1);
    }
  }
  for (absl::string_view wanted : {"error", "warning"}) {
    for (const Event& e : state.events()) {
      if (summary.findings_size() >= client_analyzer::kMaxFindings) break;
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(e.severity),
                                 wanted)) {
        Keep(e, &summary);
      }
    }
  }
  return summary;
}

absl::StatusOr<v1::DiagnosticsSummary> SummarizeResultBundle(
    absl::string_view bundle) {
  absl::StatusOr<std::vector<ZipEntry>> entries = ListEntries(bundle);
  if (!entries.ok()) return entries.status();
  const std::string documented = absl::StrCat(
      client_analyzer::kFindingsFolder, "/", client_analyzer::kFindingsXmlName);
  std::string found;
  for (const ZipEntry& entry : *entries) {
    const std::string name = NormalizeEntryName(entry.name);
    if (absl::EqualsIgnoreCase(name, documented)) {
      found = entry.name;
      break;
    }
    if (found.empty() &&
        (absl::EqualsIgnoreCase(name, client_analyzer::kFindingsXmlName) ||
         absl::EndsWithIgnoreCase(
             name, absl::StrCat("/", client_analyzer::kFindingsXmlName)))) {
      found = entry.name;
    }
  }
  v1::DiagnosticsSummary summary;
  if (found.empty()) {
    summary.set_note(absl::StrCat("no ", client_analyzer::kFindingsXmlName,
                                  " in the bundle; open MDEClientAnalyzer.htm "
                                  "in it for the report"));
  } else {
    absl::StatusOr<std::string> xml =
        ReadEntry(bundle, found, kMaxFindingsXmlBytes);
    absl::StatusOr<v1::DiagnosticsSummary> parsed =
        xml.ok() ? ParseAnalyzerFindings(*xml)
                 : absl::StatusOr<v1::DiagnosticsSummary>(xml.status());
    if (parsed.ok()) {
      summary = *std::move(parsed);
    } else {
      summary.set_note(std::string(parsed.status().message()));
    }
  }
  summary.set_bundle_size(bundle.size());
  return summary;
}

}  // namespace mdefleet::zip

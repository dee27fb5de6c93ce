// The Group Policy template (deploy/gpo) and the runner's configuration
// reader must agree: same key, same value names, same types and ranges, and
// every string and presentation the ADMX refers to defined in the ADML.
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runner/service/runner_config.h"

namespace mdefleet::runner {
namespace {

std::string ReadSourceFile(const std::string& relative) {
  const std::string path = absl::StrCat(MDEFLEET_SOURCE_DIR, "/", relative);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Attribute `name` of the XML start tag `tag` ("" when absent).
std::string Attribute(const std::string& tag, const std::string& name) {
  std::smatch m;
  const std::regex re("\\s" + name + "=\"([^\"]*)\"");
  return std::regex_search(tag, m, re) ? m[1].str() : "";
}

// Every start tag `<element ...>` of `xml`.
std::vector<std::string> StartTags(const std::string& xml,
                                   const std::string& element) {
  std::vector<std::string> tags;
  const std::regex re("<" + element + "\\s[^>]*>");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), re);
       it != std::sregex_iterator(); ++it) {
    tags.push_back(it->str());
  }
  return tags;
}

std::set<std::string> References(const std::string& xml,
                                 const std::string& kind) {
  std::set<std::string> ids;
  const std::regex re("\\$\\(" + kind + "\\.([A-Za-z0-9_]+)\\)");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), re);
       it != std::sregex_iterator(); ++it) {
    ids.insert((*it)[1].str());
  }
  return ids;
}

std::set<std::string> Ids(const std::string& xml, const std::string& element,
                          const std::string& attribute) {
  std::set<std::string> ids;
  for (const std::string& tag : StartTags(xml, element)) {
    ids.insert(Attribute(tag, attribute));
  }
  return ids;
}

TEST(AdmxConsistency, EverySettingHasAPolicyWithTheRightTypeAndRange) {
  const std::string admx = ReadSourceFile("deploy/gpo/mdefleet.admx");
  ASSERT_FALSE(admx.empty());

  // Every policy writes under the runner's policy key.
  const auto policies = StartTags(admx, "policy");
  ASSERT_EQ(policies.size(), RunnerSettingSpecs().size());
  for (const std::string& policy : policies) {
    EXPECT_EQ(Attribute(policy, "key"), kRunnerPolicyKey) << policy;
    EXPECT_EQ(Attribute(policy, "class"), "Machine") << policy;
  }

  std::map<std::string, std::string> text_elements;
  for (const std::string& tag : StartTags(admx, "text")) {
    text_elements[Attribute(tag, "valueName")] = tag;
  }
  std::map<std::string, std::string> decimal_elements;
  for (const std::string& tag : StartTags(admx, "decimal")) {
    decimal_elements[Attribute(tag, "valueName")] = tag;
  }
  EXPECT_EQ(text_elements.size() + decimal_elements.size(),
            RunnerSettingSpecs().size());

  for (const RunnerSettingSpec& spec : RunnerSettingSpecs()) {
    SCOPED_TRACE(spec.name);
    if (spec.type == RunnerSettingType::kString) {
      ASSERT_EQ(text_elements.count(spec.name), 1u)
          << "no <text valueName=\"" << spec.name << "\">";
      const std::string& tag = text_elements[spec.name];
      // REG_SZ, not REG_EXPAND_SZ: the runner reads REG_SZ only.
      EXPECT_NE(Attribute(tag, "expandable"), "true");
    } else {
      ASSERT_EQ(decimal_elements.count(spec.name), 1u)
          << "no <decimal valueName=\"" << spec.name << "\">";
      const std::string& tag = decimal_elements[spec.name];
      EXPECT_EQ(Attribute(tag, "minValue"), std::to_string(spec.min_value));
      EXPECT_EQ(Attribute(tag, "maxValue"), std::to_string(spec.max_value));
      // REG_DWORD, not text.
      EXPECT_NE(Attribute(tag, "storeAsText"), "true");
    }
  }
}

TEST(AdmxConsistency, AdmlDefinesEverythingTheAdmxUses) {
  const std::string admx = ReadSourceFile("deploy/gpo/mdefleet.admx");
  const std::string adml = ReadSourceFile("deploy/gpo/en-US/mdefleet.adml");
  ASSERT_FALSE(admx.empty());
  ASSERT_FALSE(adml.empty());

  const std::set<std::string> strings = Ids(adml, "string", "id");
  for (const std::string& id : References(admx, "string")) {
    EXPECT_EQ(strings.count(id), 1u) << "ADML lacks string " << id;
  }
  const std::set<std::string> presentations = Ids(adml, "presentation", "id");
  for (const std::string& id : References(admx, "presentation")) {
    EXPECT_EQ(presentations.count(id), 1u) << "ADML lacks presentation " << id;
  }
  // Every presentation control refers to an element of the ADMX.
  std::set<std::string> element_ids = Ids(admx, "text", "id");
  for (const std::string& id : Ids(admx, "decimal", "id")) {
    element_ids.insert(id);
  }
  for (const char* control : {"textBox", "decimalTextBox"}) {
    for (const std::string& ref : Ids(adml, control, "refId")) {
      EXPECT_EQ(element_ids.count(ref), 1u)
          << control << " refers to unknown element " << ref;
    }
  }
  // Decimal defaults agree with the runner's defaults (30 s).
  for (const std::string& tag : StartTags(adml, "decimalTextBox")) {
    EXPECT_EQ(Attribute(tag, "defaultValue"), "30") << tag;
  }
}

}  // namespace
}  // namespace mdefleet::runner
